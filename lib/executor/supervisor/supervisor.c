/* appc-supervisor: PID 1 of a pod (docs/executor.md "The supervisor").
 *
 * Started by libappc after the pod's namespaces, cgroup and mounts are set up
 * and the process has pivoted into the pod root:
 *
 *     appc-supervisor PLAN
 *
 * PLAN (written by lib/executor/plan.cpp) is a sequence of NUL-terminated
 * strings; see read_plan() for the grammar. The supervisor then, for each app
 * in order: runs its pre-start handler to completion, starts the app (fork,
 * chroot into its rootfs, chdir, setgroups/setgid/setuid, execve), and goes on
 * with the next app. It reaps every process of the pod (it is PID 1), forwards
 * SIGTERM/SIGINT/SIGHUP/SIGQUIT to the apps, runs an app's post-stop handler
 * after the app has exited (spec 88), writes each app's status to
 * /pod/status/<app> and every output line of the apps (and their handlers)
 * with a timestamp and stream tag to /pod/logs/<app>. When the last app is
 * done it writes /pod/result and exits with the pod's status: the first
 * non-zero app status in app order, else 0; an app killed by signal S counts
 * as 128+S.
 *
 * Kept tiny on purpose (what stays on the host for a running pod): C, no
 * stdio streams, statically linked, one poll loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PLAN_MAGIC "appc-plan-2"
#define LINE_MAX_BYTES 8192

enum { ST_WAITING, ST_PRE, ST_MAIN, ST_POST, ST_DONE };

struct handler {
  char *path;   /* NULL: none */
  char **argv;
};

struct linebuf {
  char buf[LINE_MAX_BYTES];
  size_t len;
};

struct app {
  char *name, *root, *cwd;
  uid_t uid;
  gid_t gid;
  size_t ngroups;
  gid_t *groups;
  char *path;
  char **argv, **env;
  struct handler pre, post;

  int state;
  pid_t pid;            /* the process of the current state (handler or main) */
  int out_r, err_r;     /* read ends (supervisor), -1 when closed */
  int out_w, err_w;     /* write ends, handed to every process of the app */
  int log_fd;
  struct linebuf out_lb, err_lb;
  int status;           /* 0..255: exit code, or 128+signal */
  int recorded;         /* a status file was written */
};

static struct app *apps;
static size_t napps;
static int attached;
static int gate_fd = -1;
static int stopping;

/* ---- small helpers (no stdio streams) ---- */

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    n -= (size_t)w;
  }
}

static void fatal(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg - 1, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n > sizeof msg - 2) n = sizeof msg - 2;
  msg[n++] = '\n';
  write_all(2, "appc-supervisor: ", 17);
  write_all(2, msg, (size_t)n);
  int fd = open("/pod/error", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    write_all(fd, msg, (size_t)n);
    close(fd);
  }
  _exit(125);
}

/* Write `data` to /pod/<dir>/<name> through a temporary file and rename. */
static void write_atomic(const char *path, const char *data, size_t len) {
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_all(fd, data, len);
  fsync(fd);
  close(fd);
  rename(tmp, path);
}

/* ---- the plan ---- */

static char *plan_buf, *plan_pos, *plan_end;

static char *next_str(void) {
  if (plan_pos >= plan_end) fatal("plan: truncated");
  char *s = plan_pos;
  char *z = memchr(plan_pos, '\0', (size_t)(plan_end - plan_pos));
  if (!z) fatal("plan: unterminated string");
  plan_pos = z + 1;
  return s;
}

static unsigned long next_num(void) {
  char *s = next_str(), *e;
  errno = 0;
  unsigned long v = strtoul(s, &e, 10);
  if (errno || *s == '\0' || *e != '\0') fatal("plan: \"%s\" is not a number", s);
  return v;
}

static long next_num_signed(void) {
  char *s = next_str(), *e = NULL;
  errno = 0;
  long v = strtol(s, &e, 10);
  if (errno || *s == '\0' || *e != '\0') fatal("plan: \"%s\" is not a number", s);
  return v;
}

static char **next_vec(void) {
  unsigned long n = next_num();
  if (n > 65536) fatal("plan: list too long");
  char **v = calloc(n + 1, sizeof *v);
  if (!v) fatal("out of memory");
  for (unsigned long i = 0; i < n; i++) v[i] = next_str();
  return v;
}

static void next_handler(struct handler *h) {
  char *path = next_str();
  char **argv = next_vec();
  h->path = *path ? path : NULL;
  h->argv = argv;
}

/* Grammar (every item a NUL-terminated string):
 *   "appc-plan-2" ATTACHED(0|1) LOCKFD GATEFD NAPPS APP*
 * GATEFD (-1: none): one byte arrives there once the pod is in its cgroup;
 * no app starts before it (EOF instead: the pod could not join it). 
 *   APP := NAME ROOT CWD UID GID NGROUPS GID* PATH ARGC ARG* ENVC ENV*
 *          PRE_PATH PRE_ARGC PRE_ARG* POST_PATH POST_ARGC POST_ARG*
 * An empty handler path means no handler. */
static void read_plan(const char *file) {
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fatal("open %s: %s", file, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (64 << 20)) fatal("plan %s: bad size", file);
  plan_buf = malloc((size_t)st.st_size);
  if (!plan_buf) fatal("out of memory");
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t r = read(fd, plan_buf + got, (size_t)st.st_size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) fatal("read %s: %s", file, r < 0 ? strerror(errno) : "short read");
    got += (size_t)r;
  }
  close(fd);
  plan_pos = plan_buf;
  plan_end = plan_buf + got;
  if (strcmp(next_str(), PLAN_MAGIC) != 0) fatal("plan: bad magic");
  attached = (int)next_num();
  int lock_fd = (int)next_num();
  /* The pod lock stays held by this process only: apps must not inherit it. */
  if (fcntl(lock_fd, F_SETFD, FD_CLOEXEC) < 0) fatal("lock fd %d: %s", lock_fd, strerror(errno));
  gate_fd = (int)(long)next_num_signed();
  if (gate_fd >= 0 && fcntl(gate_fd, F_SETFD, FD_CLOEXEC) < 0) fatal("gate fd %d: %s", gate_fd, strerror(errno));
  napps = next_num();
  if (napps == 0 || napps > 1024) fatal("plan: bad app count");
  apps = calloc(napps, sizeof *apps);
  if (!apps) fatal("out of memory");
  for (size_t i = 0; i < napps; i++) {
    struct app *a = &apps[i];
    a->name = next_str();
    a->root = next_str();
    a->cwd = next_str();
    a->uid = (uid_t)next_num();
    a->gid = (gid_t)next_num();
    a->ngroups = next_num();
    if (a->ngroups > 65536) fatal("plan: too many groups");
    a->groups = calloc(a->ngroups + 1, sizeof *a->groups);
    if (!a->groups) fatal("out of memory");
    for (size_t g = 0; g < a->ngroups; g++) a->groups[g] = (gid_t)next_num();
    a->path = next_str();
    a->argv = next_vec();
    a->env = next_vec();
    next_handler(&a->pre);
    next_handler(&a->post);
    a->out_r = a->err_r = a->out_w = a->err_w = -1;
  }
}

/* ---- logs ---- */

static void log_line(struct app *a, const char *tag, const char *p, size_t n) {
  char head[64];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int h = snprintf(head, sizeof head, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s ", tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec, tag);
  char line[LINE_MAX_BYTES + 80];
  memcpy(line, head, (size_t)h);
  memcpy(line + h, p, n);
  line[(size_t)h + n] = '\n';
  write_all(a->log_fd, line, (size_t)h + n + 1);
}

static void log_data(struct app *a, int is_err, const char *p, size_t n) {
  struct linebuf *lb = is_err ? &a->err_lb : &a->out_lb;
  const char *tag = is_err ? "stderr" : "stdout";
  if (attached) write_all(is_err ? 2 : 1, p, n);
  while (n > 0) {
    const char *nl = memchr(p, '\n', n);
    size_t take = nl ? (size_t)(nl - p) : n;
    if (lb->len + take >= LINE_MAX_BYTES) take = LINE_MAX_BYTES - lb->len;
    memcpy(lb->buf + lb->len, p, take);
    lb->len += take;
    p += take;
    n -= take;
    int full = lb->len == LINE_MAX_BYTES;
    if (n > 0 && *p == '\n' && !full) {
      p++;
      n--;
      full = 1;
    }
    if (full) {
      log_line(a, tag, lb->buf, lb->len);
      lb->len = 0;
    }
  }
}

static void log_flush(struct app *a) {
  if (a->out_lb.len) log_line(a, "stdout", a->out_lb.buf, a->out_lb.len);
  if (a->err_lb.len) log_line(a, "stderr", a->err_lb.buf, a->err_lb.len);
  a->out_lb.len = a->err_lb.len = 0;
}

/* Returns 0 at EOF (the fd is closed), 1 otherwise. */
static int drain(struct app *a, int *fd, int is_err) {
  char buf[16384];
  for (;;) {
    ssize_t r = read(*fd, buf, sizeof buf);
    if (r > 0) {
      log_data(a, is_err, buf, (size_t)r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return 1;
    close(*fd);
    *fd = -1;
    return 0;
  }
}

/* ---- processes ---- */

static void child_fail(struct app *a, const char *what, const char *arg, int code) {
  char msg[1024];
  int e = errno;
  int n = snprintf(msg, sizeof msg, "appc-supervisor: app %s: %s %s: %s\n", a->name, what, arg, strerror(e));
  if (n > 0) write_all(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
  _exit(code);
}

static pid_t spawn(struct app *a, const char *path, char **argv) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  if (dup2(a->out_w, 1) < 0 || dup2(a->err_w, 2) < 0) _exit(125);
  if (chroot(a->root) < 0) child_fail(a, "chroot", a->root, 125);
  if (chdir(a->cwd) < 0) child_fail(a, "working directory", a->cwd, 125);
  if (setgroups(a->ngroups, a->groups) < 0) child_fail(a, "setgroups", "", 125);
  if (setgid(a->gid) < 0) child_fail(a, "setgid", "", 125);
  if (setuid(a->uid) < 0) child_fail(a, "setuid", "", 125);
  umask(022);
  execve(path, argv, a->env);
  child_fail(a, "exec", path, errno == ENOENT ? 127 : 126);
  return -1;
}

static int status_code(int ws) {
  if (WIFEXITED(ws)) return WEXITSTATUS(ws);
  if (WIFSIGNALED(ws)) return 128 + WTERMSIG(ws);
  return 255;
}

static void record(struct app *a, const char *kind, int value) {
  char path[512], data[64];
  snprintf(path, sizeof path, "/pod/status/%s", a->name);
  int n = snprintf(data, sizeof data, "%s %d\n", kind, value);
  write_atomic(path, data, (size_t)n);
  a->recorded = 1;
}

static void record_wait(struct app *a, const char *prefix, int ws) {
  char kind[32];
  if (WIFSIGNALED(ws)) {
    snprintf(kind, sizeof kind, "%ssignal", prefix);
    record(a, kind, WTERMSIG(ws));
  } else {
    snprintf(kind, sizeof kind, "%sexit", prefix);
    record(a, kind, status_code(ws));
  }
}

static void open_app_io(struct app *a) {
  int o[2], e[2];
  if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) fatal("pipe: %s", strerror(errno));
  a->out_r = o[0];
  a->out_w = o[1];
  a->err_r = e[0];
  a->err_w = e[1];
  fcntl(a->out_r, F_SETFL, O_NONBLOCK);
  fcntl(a->err_r, F_SETFL, O_NONBLOCK);
  char path[512];
  snprintf(path, sizeof path, "/pod/logs/%s", a->name);
  a->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (a->log_fd < 0) fatal("open %s: %s", path, strerror(errno));
}

static void finish(struct app *a) {
  a->state = ST_DONE;
  a->pid = 0;
  /* Close our write ends: the pipes reach EOF once no process of the app holds them. */
  if (a->out_w >= 0) close(a->out_w);
  if (a->err_w >= 0) close(a->err_w);
  a->out_w = a->err_w = -1;
}

static void start_post_or_finish(struct app *a) {
  if (a->post.path) {
    a->pid = spawn(a, a->post.path, a->post.argv);
    if (a->pid > 0) {
      a->state = ST_POST;
      return;
    }
  }
  finish(a);
}

static void start_main(struct app *a) {
  a->pid = spawn(a, a->path, a->argv);
  if (a->pid < 0) {
    a->status = 125;
    record(a, "exit", 125);
    finish(a);
    return;
  }
  a->state = ST_MAIN;
}

static void start_app(struct app *a) {
  if (stopping) {
    record(a, "skipped", 0);
    a->state = ST_DONE;
    return;
  }
  open_app_io(a);
  if (a->pre.path) {
    a->pid = spawn(a, a->pre.path, a->pre.argv);
    if (a->pid > 0) {
      a->state = ST_PRE;
      return;
    }
    a->status = 125;
    record(a, "pre-start-exit", 125);
    finish(a);
    return;
  }
  start_main(a);
}

/* Apps start in order; the next one once the previous one's main process runs. */
static void start_more(void) {
  for (size_t i = 0; i < napps; i++) {
    struct app *a = &apps[i];
    if (a->state == ST_WAITING) {
      start_app(a);
      if (a->state == ST_PRE) return;
      continue;
    }
    if (a->state == ST_PRE) return;
  }
}

static void on_exit_of(pid_t pid, int ws) {
  for (size_t i = 0; i < napps; i++) {
    struct app *a = &apps[i];
    if (a->pid != pid || a->state == ST_WAITING || a->state == ST_DONE) continue;
    if (a->state == ST_PRE) {
      if (status_code(ws) != 0) {
        /* A failed pre-start handler: the app does not start (spec 88). */
        a->status = status_code(ws);
        record_wait(a, "pre-start-", ws);
        finish(a);
      } else if (stopping) {
        record(a, "skipped", 0);
        finish(a);
      } else {
        start_main(a);
      }
    } else if (a->state == ST_MAIN) {
      a->status = status_code(ws);
      record_wait(a, "", ws);
      start_post_or_finish(a);
    } else if (a->state == ST_POST) {
      finish(a);
    }
    return;
  }
}

static void forward(int sig) {
  stopping = 1;
  for (size_t i = 0; i < napps; i++)
    if (apps[i].state == ST_PRE || apps[i].state == ST_MAIN) kill(apps[i].pid, sig);
}

static void noop_handler(int sig) { (void)sig; }

int main(int argc, char **argv) {
  if (argc != 2) fatal("usage: appc-supervisor PLAN");
  prctl(PR_SET_NAME, "appc-supervisor", 0, 0, 0);
  read_plan(argv[1]);

  sigset_t mask;
  sigemptyset(&mask);
  int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    sigaddset(&mask, sigs[i]);
    /* PID 1 of a namespace only gets signals it has a handler for. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = noop_handler;
    sigaction(sigs[i], &sa, NULL);
  }
  if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) fatal("sigprocmask: %s", strerror(errno));
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) fatal("signalfd: %s", strerror(errno));

  if (gate_fd >= 0) {
    char g;
    ssize_t r;
    do r = read(gate_fd, &g, 1);
    while (r < 0 && errno == EINTR);
    if (r != 1) fatal("the pod could not join its cgroup: no app was started");
    close(gate_fd);
    gate_fd = -1;
  }

  start_more();

  struct pollfd *pfds = calloc(2 * napps + 1, sizeof *pfds);
  if (!pfds) fatal("out of memory");
  for (;;) {
    int all_done = 1;
    for (size_t i = 0; i < napps; i++)
      if (apps[i].state != ST_DONE) all_done = 0;
    if (all_done) break;

    size_t n = 0;
    pfds[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    for (size_t i = 0; i < napps; i++) {
      pfds[n++] = (struct pollfd){.fd = apps[i].out_r, .events = POLLIN};
      pfds[n++] = (struct pollfd){.fd = apps[i].err_r, .events = POLLIN};
    }
    if (poll(pfds, n, -1) < 0) {
      if (errno == EINTR) continue;
      fatal("poll: %s", strerror(errno));
    }
    for (size_t i = 0; i < napps; i++) {
      if (pfds[1 + 2 * i].revents) drain(&apps[i], &apps[i].out_r, 0);
      if (pfds[2 + 2 * i].revents) drain(&apps[i], &apps[i].err_r, 1);
    }
    if (pfds[0].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD || sig == SIGPIPE) continue;
        forward(sig);
      }
      for (;;) {
        int ws;
        pid_t p = waitpid(-1, &ws, WNOHANG);
        if (p <= 0) break;
        on_exit_of(p, ws);
      }
      start_more();
    }
  }

  /* Everything the apps wrote before exiting is in the pipes: read it all,
   * without waiting for daemons that keep a pipe open (they die with us). */
  int code = 0;
  for (size_t i = 0; i < napps; i++) {
    struct app *a = &apps[i];
    if (a->out_r >= 0) drain(a, &a->out_r, 0);
    if (a->err_r >= 0) drain(a, &a->err_r, 1);
    if (a->log_fd > 0) log_flush(a);
    if (code == 0 && a->status != 0) code = a->status;
  }
  char data[32];
  int len = snprintf(data, sizeof data, "exit %d\n", code);
  write_atomic("/pod/result", data, (size_t)len);
  return code;
}
