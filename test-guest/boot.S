/*
 * Multiboot (v1) entry of the jobshim test guest: header, a flat GDT of our own (the boot
 * loader's GDTR may point anywhere), a stack, and the interrupt stubs. Everything else is C.
 */
        .set MB_MAGIC, 0x1BADB002
        .set MB_FLAGS, 0x00000003          /* page-aligned modules, memory info wanted */

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)

        .section .bss
        .align 16
stack_bottom:
        .skip 16384
stack_top:

        .section .rodata
        .align 8
gdt:
        .quad 0                            /* null */
        .quad 0x00CF9A000000FFFF           /* 0x08: code, flat 4 GiB */
        .quad 0x00CF92000000FFFF           /* 0x10: data, flat 4 GiB */
gdt_end:
gdt_pointer:
        .word gdt_end - gdt - 1
        .long gdt

        .section .text
        .global _start
_start:
        cli
        mov $stack_top, %esp
        lgdt gdt_pointer
        ljmp $0x08, $1f
1:      mov $0x10, %cx
        mov %cx, %ds
        mov %cx, %es
        mov %cx, %fs
        mov %cx, %gs
        mov %cx, %ss
        push %ebx                          /* multiboot information */
        push %eax                          /* multiboot magic */
        call guest_main
2:      cli
        hlt
        jmp 2b

/* IRQ 0 (the PIT), remapped to vector 32: count the tick, acknowledge it at the PIC. */
        .global timer_stub
timer_stub:
        push %eax
        incl ticks
        mov $0x20, %al
        out %al, $0x20
        pop %eax
        iret

/* Any other vector: acknowledge both PICs and carry on. */
        .global ignore_stub
ignore_stub:
        push %eax
        mov $0x20, %al
        out %al, $0xA0
        out %al, $0x20
        pop %eax
        iret

        .section .note.GNU-stack, "", @progbits
