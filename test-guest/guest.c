/*
 * The jobshim test guest: dirties guest memory at a chosen rate so that a live migration of it
 * converges or not on demand. Kernel command line (QEMU -append):
 *   rate=N  pages (4 KiB) written per second, default 0 (idle)
 *   mib=M   size of the working set the writes cycle through, default 32 MiB
 * Time comes from the PIT at 1000 Hz (guest virtual time: it stops while the VM is paused);
 * between ticks the CPU halts, so an idle or slow guest costs the host almost nothing.
 * COM1 reports the settings once, then "alive S pages P" every second, and "resync SEEN NOW" when
 * the tick count in memory disagrees with the one in registers by more than a second (seen after
 * precopy migrations on QEMU 7.2 TCG: the page holding `ticks` arrived seconds stale; see
 * docs/progress.md).
 * Only 32-bit arithmetic: there is no libgcc for 64-bit division here.
 */
#include <stdint.h>

#define HZ 1000u
#define PIT_HZ 1193182u
#define PAGE 4096u
#define SET_BASE (4u << 20) /* above the kernel, which sits at 1 MiB */

volatile uint32_t ticks;
extern void timer_stub(void);
extern void ignore_stub(void);

static inline void outb(uint16_t port, uint8_t value) {
  __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}
static inline uint8_t inb(uint16_t port) {
  uint8_t value;
  __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}

/* --- COM1 ---------------------------------------------------------------------------- */

static void serial_init(void) {
  outb(0x3F9, 0x00); /* no UART interrupts */
  outb(0x3FB, 0x80); /* divisor latch */
  outb(0x3F8, 0x01); /* 115200 baud */
  outb(0x3F9, 0x00);
  outb(0x3FB, 0x03); /* 8N1 */
}
static void put_char(char c) {
  while ((inb(0x3FD) & 0x20) == 0) {
  }
  outb(0x3F8, (uint8_t)c);
}
static void put_text(const char *text) {
  while (*text) put_char(*text++);
}
static void put_number(uint32_t value) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = (char)('0' + value % 10u);
    value /= 10u;
  } while (value);
  while (n) put_char(digits[--n]);
}

/* --- interrupts: an IDT whose vector 32 is the PIT, the PICs remapped past the exceptions -- */

struct gate {
  uint16_t offset_low, selector;
  uint8_t zero, flags;
  uint16_t offset_high;
} __attribute__((packed));
static struct gate idt[256];
static struct {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed)) idt_pointer;

static void set_gate(int vector, void (*handler)(void)) {
  uint32_t address = (uint32_t)handler;
  idt[vector] = (struct gate){(uint16_t)address, 0x08, 0, 0x8E, (uint16_t)(address >> 16)};
}

static void interrupts_init(void) {
  for (int v = 0; v < 256; v++) set_gate(v, ignore_stub);
  set_gate(32, timer_stub);
  idt_pointer.limit = sizeof idt - 1;
  idt_pointer.base = (uint32_t)idt;
  __asm__ volatile("lidt %0" : : "m"(idt_pointer));
  /* ICW1..ICW4: master at vectors 32-39, slave at 40-47, then mask all but IRQ 0. */
  outb(0x20, 0x11);
  outb(0xA0, 0x11);
  outb(0x21, 0x20);
  outb(0xA1, 0x28);
  outb(0x21, 0x04);
  outb(0xA1, 0x02);
  outb(0x21, 0x01);
  outb(0xA1, 0x01);
  outb(0x21, 0xFE);
  outb(0xA1, 0xFF);
  /* PIT channel 0, rate generator, HZ interrupts per second. */
  uint32_t divisor = PIT_HZ / HZ;
  outb(0x43, 0x34);
  outb(0x40, (uint8_t)divisor);
  outb(0x40, (uint8_t)(divisor >> 8));
}

/* --- the command line -------------------------------------------------------------- */

static const char *find(const char *text, const char *key) {
  for (const char *at = text; *at; at++) {
    if (at != text && at[-1] != ' ') continue;
    const char *k = key, *t = at;
    while (*k && *t == *k) k++, t++;
    if (!*k) return t;
  }
  return 0;
}
static uint32_t number_after(const char *text, const char *key, uint32_t fallback) {
  const char *at = text ? find(text, key) : 0;
  if (!at || *at < '0' || *at > '9') return fallback;
  uint32_t value = 0;
  while (*at >= '0' && *at <= '9') value = value * 10u + (uint32_t)(*at++ - '0');
  return value;
}

/* --- main: write one word into `owed` pages per tick, cycling through the working set -- */

struct multiboot_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

void guest_main(uint32_t magic, const struct multiboot_info *info) {
  serial_init();
  const char *cmdline = (info->flags & 4u) ? (const char *)info->cmdline : 0;
  uint32_t rate = number_after(cmdline, "rate=", 0);
  uint32_t mib = number_after(cmdline, "mib=", 32);
  /* mem_upper is KiB above 1 MiB; keep the working set inside RAM. */
  uint32_t ram_top = (info->flags & 1u) ? (1u << 20) + info->mem_upper * 1024u : 64u << 20;
  uint32_t pages = (mib << 20) / PAGE;
  if (SET_BASE + pages * PAGE > ram_top) pages = (ram_top - SET_BASE) / PAGE;
  put_text("jobshim test guest: magic ");
  put_number(magic == 0x2BADB002u);
  put_text(" rate ");
  put_number(rate);
  put_text(" pages/s, working set ");
  put_number(pages);
  put_text(" pages\n");

  interrupts_init();
  volatile uint32_t *set = (volatile uint32_t *)SET_BASE;
  uint32_t seen = 0, credit = 0, cursor = 0, written = 0, next_report = HZ;
  __asm__ volatile("sti");
  for (;;) {
    __asm__ volatile("hlt");
    uint32_t now = ticks;
    /* Never more than a second behind (or, after a restore, ahead): start again from now. */
    if (now - seen > HZ) {
      put_text("resync ");
      put_number(seen);
      put_char(' ');
      put_number(now);
      put_char('\n');
      seen = now - 1u;
      next_report = (now / HZ + 1u) * HZ;
    }
    while (seen != now) {
      seen++;
      credit += rate; /* rate/HZ pages per tick, the remainder carried to the next */
      while (credit >= HZ && pages) {
        credit -= HZ;
        set[cursor * (PAGE / 4u)] = seen ^ written;
        cursor = cursor + 1u == pages ? 0u : cursor + 1u;
        written++;
      }
      if (seen == next_report) {
        next_report += HZ;
        put_text("alive ");
        put_number(seen / HZ);
        put_text(" pages ");
        put_number(written);
        put_char('\n');
      }
    }
  }
}
