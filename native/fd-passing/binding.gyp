{
  "targets": [
    {
      "target_name": "fd_passing",
      "sources": ["fd_passing.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-std=gnu11"]
    }
  ]
}
