/*
 * Descriptor passing (SCM_RIGHTS) for unix stream sockets, which Node's `net` cannot do:
 * libuv reads a non-IPC pipe with read(2), and the kernel closes whatever descriptors rode
 * along. This addon reads such a socket itself (recvmsg on a duplicate of its descriptor,
 * watched by a uv_poll of its own) and writes bytes together with descriptors (sendmsg).
 * Plain Node-API C: one build serves every Node version with Node-API 8.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

/* The kernel's own limit per message (SCM_MAX_FD); QEMU accepts at most 16. */
#define MAX_FDS 253
#define READ_SIZE (64 * 1024)
/* Reads per readiness before yielding to the loop, as libuv's own stream reads do. */
#define READS_PER_WAKE 32

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error(env, NULL, "fd-passing: " #call " failed");             \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int fd; /* our duplicate; closed when the poll handle is closed */
  int stopped;
  char buffer[READ_SIZE];
} watcher_t;

static void on_closed(uv_handle_t *handle) {
  watcher_t *w = (watcher_t *)handle;
  close(w->fd);
  free(w);
}

static void stop_watcher(watcher_t *w) {
  if (w->stopped) return;
  w->stopped = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(w->env, w->callback);
  napi_async_destroy(w->env, w->async);
  uv_close((uv_handle_t *)&w->poll, on_closed);
}

/* Calls back (chunk, fds, errno): a chunk with its descriptors, or null and 0 at the end, or an errno. */
static void deliver(watcher_t *w, const char *data, ssize_t length, const int *fds, int fd_count, int error) {
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value argv[3], callback, global, result;
  if (data != NULL) napi_create_buffer_copy(env, (size_t)length, data, NULL, &argv[0]);
  else napi_get_null(env, &argv[0]);
  if (fd_count > 0) {
    napi_create_array_with_length(env, (size_t)fd_count, &argv[1]);
    for (int i = 0; i < fd_count; i++) {
      napi_value fd;
      napi_create_int32(env, fds[i], &fd);
      napi_set_element(env, argv[1], (uint32_t)i, fd);
    }
  } else napi_get_undefined(env, &argv[1]);
  napi_create_int32(env, error, &argv[2]);
  napi_get_reference_value(env, w->callback, &callback);
  napi_get_global(env, &global);
  napi_make_callback(env, w->async, global, callback, 3, argv, &result);
  napi_close_handle_scope(env, scope);
}

/* One recvmsg; returns its byte count, fills fds (close-on-exec) and their count. */
static ssize_t receive(int fd, char *buffer, size_t size, int *fds, int *fd_count) {
  char control[CMSG_SPACE(sizeof(int) * MAX_FDS)];
  struct iovec iov = {.iov_base = buffer, .iov_len = size};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t count;
  do count = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  while (count < 0 && errno == EINTR);
  *fd_count = 0;
  if (count < 0) return count;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < n && *fd_count < MAX_FDS; i++) memcpy(&fds[(*fd_count)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
  }
  return count;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  watcher_t *w = (watcher_t *)handle;
  (void)events;
  if (status < 0) {
    deliver(w, NULL, 0, NULL, 0, -status);
    return;
  }
  int fds[MAX_FDS];
  for (int round = 0; round < READS_PER_WAKE && !w->stopped; round++) {
    int fd_count;
    ssize_t count = receive(w->fd, w->buffer, READ_SIZE, fds, &fd_count);
    if (count < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      deliver(w, NULL, 0, NULL, 0, errno);
      return;
    }
    if (count == 0 && fd_count == 0) {
      deliver(w, NULL, 0, NULL, 0, 0);
      return;
    }
    deliver(w, w->buffer, count, fds, fd_count, 0);
  }
}

static void finalize_watcher(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  (void)hint;
  /* Nothing: a watcher lives until `unwatch` (the connection's close), not until GC. */
}

/* watch(fd, callback) -> handle. Watches a duplicate of fd, so Node's own watcher of fd is untouched. */
static napi_value watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], handle, name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  watcher_t *w = calloc(1, sizeof(watcher_t));
  if (w == NULL) {
    close(copy);
    napi_throw_error(env, NULL, "fd-passing: out of memory");
    return NULL;
  }
  w->env = env;
  w->fd = copy;
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int rc = uv_poll_init(loop, &w->poll, copy);
  if (rc != 0) {
    close(copy);
    free(w);
    napi_throw_error(env, NULL, uv_strerror(rc));
    return NULL;
  }
  CHECK(napi_create_reference(env, argv[1], 1, &w->callback));
  CHECK(napi_create_string_utf8(env, "jobshim:fd-passing", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &w->async));
  uv_poll_start(&w->poll, UV_READABLE, on_readable);
  CHECK(napi_create_external(env, w, finalize_watcher, NULL, &handle));
  return handle;
}

/* unwatch(handle): stops reading; the duplicate closes once libuv has let go of it. */
static napi_value unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  CHECK(napi_get_value_external(env, argv[0], &data));
  stop_watcher((watcher_t *)data);
  return NULL;
}

/* send(fd, buffer, fds) -> bytes written, or -errno (-EAGAIN when the socket is full). */
static napi_value send_with_fds(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  void *data;
  size_t length;
  CHECK(napi_get_buffer_info(env, argv[1], &data, &length));
  uint32_t fd_count;
  CHECK(napi_get_array_length(env, argv[2], &fd_count));
  if (fd_count > MAX_FDS) {
    napi_throw_range_error(env, NULL, "fd-passing: more descriptors than one message carries (253)");
    return NULL;
  }
  char control[CMSG_SPACE(sizeof(int) * MAX_FDS)];
  memset(control, 0, sizeof(control));
  struct iovec iov = {.iov_base = data, .iov_len = length};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd_count > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
    for (uint32_t i = 0; i < fd_count; i++) {
      napi_value element;
      int32_t value;
      CHECK(napi_get_element(env, argv[2], i, &element));
      CHECK(napi_get_value_int32(env, element, &value));
      memcpy(CMSG_DATA(c) + i * sizeof(int), &value, sizeof(int));
    }
  }
  ssize_t count;
  do count = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (count < 0 && errno == EINTR);
  CHECK(napi_create_int64(env, count < 0 ? -(int64_t)errno : (int64_t)count, &result));
  return result;
}

/* dup(fd) -> a close-on-exec copy, or -errno: a sender keeps its own copy until the kernel has one. */
static napi_value dup_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  CHECK(napi_create_int32(env, copy < 0 ? -errno : copy, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"watch", NULL, watch, NULL, NULL, NULL, napi_default, NULL},
      {"unwatch", NULL, unwatch, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, send_with_fds, NULL, NULL, NULL, napi_default, NULL},
      {"dup", NULL, dup_fd, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, 4, properties));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
