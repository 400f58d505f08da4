/* core: the small pieces every module stands on. Errors with messages, growable
 * buffers and string vectors, file walking, copying and atomic writes, child
 * processes from argv arrays (never a shell), JSON helpers and text sanitizing.
 * Allocation failure aborts the process (lc_x* functions); everything else
 * returns a status and fills an lc_err the caller owns. */
#ifndef LC_CORE_H
#define LC_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#ifndef LC_VERSION
#define LC_VERSION "0.0.0"
#endif

#if defined(__GNUC__)
#define LC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LC_PRINTF(f, a)
#endif

/* ---- status codes and errors ------------------------------------------- */

/* Every fallible function returns LC_OK (0) or one of these (negative). */
typedef enum lc_status {
    LC_OK = 0,
    LC_EINVAL = -1,    /* bad input: config, flags, arguments, file contents */
    LC_EIO = -2,       /* file system or pipe */
    LC_ENOTFOUND = -3, /* a file, image, key, model... that is not there */
    LC_EENGINE = -4,   /* the container engine is missing or failed */
    LC_ETIMEOUT = -5,
    LC_ESECURITY = -6, /* refused by a security rule */
    LC_ECONFLICT = -7, /* the user's edit and the agent's edit collide */
    LC_EPROTO = -8,    /* a peer (kernel, server) broke its protocol */
    LC_ECANCEL = -9,   /* the user cancelled */
    LC_ENET = -10,     /* network */
    LC_EAUTH = -11,    /* credentials refused */
    LC_ERATE = -12,    /* rate limited */
    LC_ESERVER = -13,  /* the server failed */
    LC_ESTATE = -14,   /* called in the wrong state */
} lc_status;

#define LC_ERR_MSG_MAX 1024

/* What failed, where, and what the user can do. Owned by the caller, usually
 * on the stack: `lc_err err = {0};`. */
typedef struct lc_err {
    int code;
    char msg[LC_ERR_MSG_MAX];
} lc_err;

/* Sets err (which may be NULL) and returns code, so `return lc_err_set(...)`. */
int lc_err_set(lc_err *err, int code, const char *fmt, ...) LC_PRINTF(3, 4);
/* Like lc_err_set, with ": strerror(errnum)" appended. */
int lc_err_errno(lc_err *err, int code, int errnum, const char *fmt, ...) LC_PRINTF(4, 5);
/* Puts context in front of an existing message: "reading x: <old message>". */
void lc_err_prefix(lc_err *err, const char *fmt, ...) LC_PRINTF(2, 3);
void lc_err_clear(lc_err *err);
const char *lc_status_name(int code);

/* ---- memory ------------------------------------------------------------- */

void *lc_xmalloc(size_t n);
void *lc_xcalloc(size_t n, size_t size);
void *lc_xrealloc(void *p, size_t n);
char *lc_xstrdup(const char *s);          /* NULL stays NULL */
char *lc_xstrndup(const char *s, size_t n);
char *lc_xasprintf(const char *fmt, ...) LC_PRINTF(1, 2);

/* ---- growable byte buffer ----------------------------------------------- */

/* data is always NUL-terminated once anything was appended. */
typedef struct lc_buf {
    char *data;
    size_t len;
    size_t cap;
} lc_buf;
#define LC_BUF_INIT {NULL, 0, 0}

void lc_buf_reserve(lc_buf *b, size_t extra);
void lc_buf_append(lc_buf *b, const void *data, size_t len);
void lc_buf_puts(lc_buf *b, const char *s);
void lc_buf_putc(lc_buf *b, char c);
void lc_buf_printf(lc_buf *b, const char *fmt, ...) LC_PRINTF(2, 3);
void lc_buf_vprintf(lc_buf *b, const char *fmt, va_list ap) LC_PRINTF(2, 0);
void lc_buf_reset(lc_buf *b);           /* len = 0, keeps the memory */
void lc_buf_free(lc_buf *b);
const char *lc_buf_cstr(const lc_buf *b); /* "" when empty */
char *lc_buf_detach(lc_buf *b);         /* caller frees; never NULL; b is emptied */

/* ---- string vector (NULL-terminated, usable as argv) -------------------- */

typedef struct lc_strv {
    char **v;
    size_t n;
    size_t cap;
} lc_strv;
#define LC_STRV_INIT {NULL, 0, 0}

void lc_strv_push(lc_strv *sv, const char *s);   /* copies s */
void lc_strv_pushf(lc_strv *sv, const char *fmt, ...) LC_PRINTF(2, 3);
void lc_strv_push_owned(lc_strv *sv, char *s);   /* takes s */
bool lc_strv_contains(const lc_strv *sv, const char *s);
void lc_strv_copy(lc_strv *dst, const lc_strv *src); /* appends copies */
void lc_strv_clear(lc_strv *sv);
void lc_strv_free(lc_strv *sv);
/* Joins with sep into a new string the caller frees. */
char *lc_strv_join(const lc_strv *sv, const char *sep);

/* ---- strings and text ---------------------------------------------------- */

bool lc_str_starts_with(const char *s, const char *prefix);
bool lc_str_ends_with(const char *s, const char *suffix);
/* Parses sizes such as "512m", "1g", "1GiB", "4096" into bytes. */
int lc_parse_size(const char *s, int64_t *out);
/* Formats bytes as "1g", "512m", "4k" or a plain number (exact units only). */
void lc_format_size(int64_t bytes, char *out, size_t outsz);
/* Human form for messages: "1.5 MiB". */
void lc_format_bytes_human(uint64_t bytes, char *out, size_t outsz);

/* Decodes one UTF-8 code point; returns the bytes used, or 0 if s does not
 * start with a valid sequence (overlongs and surrogates are invalid). */
size_t lc_utf8_decode(const char *s, size_t len, uint32_t *cp);
bool lc_utf8_valid(const char *s, size_t len);

enum {
    LC_SAN_KEEP_NEWLINE = 1 << 0, /* keep '\n' as is */
    LC_SAN_KEEP_TAB = 1 << 1,     /* keep '\t' as is */
};
/* Appends a copy of untrusted bytes to out that is safe to send to a
 * terminal: C0 controls and DEL become caret notation (^[, ^M, ^?), C1
 * controls, bidi overrides, line/paragraph separators and tag characters
 * become \u009b, invalid UTF-8 bytes become \xNN; nothing can start an
 * escape sequence. Printable UTF-8 is kept. The output is its own fixed
 * point: sanitizing it again changes nothing. */
void lc_text_sanitize(const char *in, size_t len, unsigned flags, lc_buf *out);

/* The one way text reaches stdout or stderr: the whole formatted text is
 * sanitized (newlines and tabs kept), whatever its arguments hold, so a
 * print cannot forget it. Nothing in src/ writes to a terminal otherwise
 * (tests/unit/test_core_print.c holds the sources to that). */
void lc_text_fwrite(FILE *f, const char *s, size_t len);
void lc_text_fputs(FILE *f, const char *s);
void lc_text_fprintf(FILE *f, const char *fmt, ...) LC_PRINTF(2, 3);
void lc_text_vfprintf(FILE *f, const char *fmt, va_list ap) LC_PRINTF(2, 0);
/* An untrusted name (a path, a file name) as one safe line: newlines too are
 * escaped, so a name cannot forge a line of a report. Caller frees; s may be NULL. */
char *lc_text_line(const char *s);

/* Keeps the first head and last tail bytes of text (cut on UTF-8 boundaries)
 * with a line in between saying how much was left out. */
void lc_text_head_tail(const char *in, size_t len, size_t head, size_t tail, lc_buf *out);

/* ---- time, ids, environment --------------------------------------------- */

int64_t lc_now_ms(void);   /* monotonic */
double lc_now_s(void);     /* monotonic, fractional */
int64_t lc_wall_ms(void);  /* since the epoch */
void lc_iso8601(int64_t wall_ms, char *out, size_t outsz); /* UTC */
void lc_sleep_ms(int ms);
/* Fills out with 2*nbytes hex characters of randomness and a NUL. */
void lc_random_hex(char *out, size_t nbytes);
/* The XDG base directory for kind "config", "state" or "cache", with
 * "/litecode" appended (e.g. ~/.local/state/litecode). Caller frees. */
char *lc_xdg_dir(const char *kind, lc_err *err);

/* SHA-256 of data as 64 lowercase hex digits and a NUL. */
#define LC_SHA256_HEX_LEN 64
void lc_sha256_hex(const void *data, size_t len, char out[LC_SHA256_HEX_LEN + 1]);

/* ---- files and paths ----------------------------------------------------- */

char *lc_path_join(const char *a, const char *b); /* caller frees */
/* True when rel is a relative path without "..", empty or "." components. */
bool lc_path_is_safe_relative(const char *rel);
int lc_mkdir_p(const char *path, mode_t mode, lc_err *err);
/* Asks the filesystem to place each directory made in dir away from the
 * others (ext4's "top of a hierarchy" hint, chattr +T): a tree of many files
 * made there then gets inodes of its own instead of scanning past the ones a
 * tree just removed there left. Best effort: false where the filesystem has
 * no such hint or dir is not ours. */
bool lc_dir_spread(const char *dir);
/* Removes a tree without following symlinks (a symlink is removed itself),
 * making read-only directories we own writable first. A missing path is not
 * an error; "/", "." and ".." are refused. */
int lc_rm_rf(const char *path, lc_err *err);
/* Opens a path that must be a regular file (flags as open(2), plus
 * O_CLOEXEC): a FIFO, socket, device or directory is refused at once with
 * what it is, never waited on. Returns the fd, or an LC_E* code (negative). */
int lc_file_open_regular(const char *path, int flags, mode_t mode, lc_err *err);
/* Appends a whole file to out; fails with LC_EINVAL if it is larger than max
 * bytes or is a directory, FIFO or socket (out is then left as it was).
 * Follows symlinks: callers that care lstat first. */
int lc_file_read(const char *path, size_t max, lc_buf *out, lc_err *err);
/* Temporary file in the same directory, fsync, rename, fsync the directory.
 * The file gets exactly mode (no umask). On failure the old file is left
 * untouched and no temporary file remains. A symlink at path is replaced by
 * the file, not followed. */
int lc_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, lc_err *err);
/* Writes all of data, retrying on EINTR and short writes. LC_OK, or LC_EIO
 * with errno set. */
int lc_fd_write_all(int fd, const void *data, size_t len);
/* Copies a regular file's bytes (reflink when the file system can, then
 * copy_file_range, then read/write) to a new file dst with the given mode.
 * src must be a regular file (a symlink is refused, LC_EINVAL); dst must not
 * exist. reflinked (may be NULL) says whether the copy shares blocks. */
int lc_file_copy(const char *src, const char *dst, mode_t mode, bool *reflinked, lc_err *err);

/* One entry of a walk. path is relative to the root ("a/b.txt"), never empty. */
typedef struct lc_walk_entry {
    const char *path;
    const char *name;
    const struct stat *st; /* lstat: symlinks are never followed */
    int depth;             /* 0 for the root's children */
} lc_walk_entry;
/* Return 0 to go on, LC_WALK_SKIP to not descend into a directory, or a
 * negative status to stop the walk (lc_walk then returns it). */
#define LC_WALK_SKIP 1
typedef int (*lc_walk_fn)(void *ctx, const lc_walk_entry *e);
/* Pre-order walk of root, entries of each directory sorted by name (bytes,
 * strcmp). Holds one descriptor per level, so depth is bounded by the open
 * file limit; deeper trees fail with a message saying so. */
int lc_walk(const char *root, lc_walk_fn fn, void *ctx, lc_err *err);

/* ---- child processes (argv, never a shell) ------------------------------- */

typedef struct lc_proc lc_proc;

typedef struct lc_proc_opts {
    const char *const *argv;  /* argv[0] is looked up in PATH, never in "." */
    const char *const *envp;  /* NULL: inherit */
    bool pipe_stdin;          /* otherwise /dev/null */
    bool pipe_stdout;         /* otherwise /dev/null */
    bool pipe_stderr;         /* otherwise /dev/null */
    bool stderr_to_stdout;    /* wins over pipe_stderr */
    bool new_process_group;
} lc_proc_opts;
#define LC_PROC_OPTS_INIT {NULL, NULL, false, false, false, false, false}

/* Starts a child. A program that cannot be found gives LC_ENOTFOUND. */
int lc_proc_spawn(const lc_proc_opts *opts, lc_proc **out, lc_err *err);
pid_t lc_proc_pid(const lc_proc *p);
int lc_proc_stdin(const lc_proc *p);   /* -1 when not piped or closed */
int lc_proc_stdout(const lc_proc *p);
int lc_proc_stderr(const lc_proc *p);
void lc_proc_close_stdin(lc_proc *p);
/* Signals the child (its whole group with new_process_group). LC_ESTATE
 * once it has been reaped: its pid may belong to someone else by then. */
int lc_proc_signal(lc_proc *p, int sig);
/* Waits up to timeout_ms (-1: forever) and stores the raw wait status.
 * LC_ETIMEOUT when it has not exited yet. */
int lc_proc_wait(lc_proc *p, int timeout_ms, int *wstatus);
/* Kills (SIGKILL) if still running, reaps, closes pipes, frees. */
void lc_proc_free(lc_proc *p);

typedef struct lc_proc_result {
    int exit_code;  /* -1 if killed by a signal */
    int signal;     /* 0 unless killed by a signal */
    bool timed_out; /* killed because it ran past timeout_ms */
    lc_buf out;
    lc_buf err;
    bool truncated; /* a stream produced more than max_output (the rest was dropped) */
    int timeout_ms; /* the limit it ran with, for messages */
} lc_proc_result;
#define LC_PROC_RESULT_INIT {0, 0, false, LC_BUF_INIT, LC_BUF_INIT, false, -1}

/* Runs argv to completion, feeding stdin_data (may be NULL: stdin is then
 * /dev/null), capturing at most max_output bytes of each stream, killing it
 * (and its process group) after timeout_ms (-1: no limit). It runs in its
 * own process group; whatever it leaves running there is killed when it
 * exits, and background children holding its pipes do not delay us. res is
 * overwritten; free it with lc_proc_result_free even on failure. Returns
 * LC_OK when it ran, whatever its exit code. A child that closes its stdin
 * early is not an error: main() ignores SIGPIPE, so the write sees EPIPE. */
int lc_proc_run(const char *const *argv, const char *stdin_data, size_t stdin_len, int timeout_ms,
                size_t max_output, lc_proc_result *res, lc_err *err);
/* The same with the child's environment (NULL: inherit). */
int lc_proc_run_env(const char *const *argv, const char *const *envp, const char *stdin_data,
                    size_t stdin_len, int timeout_ms, size_t max_output, lc_proc_result *res, lc_err *err);
void lc_proc_result_free(lc_proc_result *res);
/* "exit 3", "killed by SIGKILL", "timed out after 5 s" */
void lc_proc_describe(const lc_proc_result *res, char *out, size_t outsz);
/* Whether a process is alive; with start_ticks != 0 also that it is the
 * same process (its start time from /proc, which guards against pid reuse). */
bool lc_pid_alive(pid_t pid, uint64_t start_ticks);
uint64_t lc_pid_start_ticks(pid_t pid); /* 0 if unknown */

/* ---- the user's editor ---------------------------------------------------- */

/* The argv that runs editor (NULL or empty: $VISUAL, else $EDITOR, else vi)
 * on path: the editor string split on blanks, path last. Never a shell, so
 * "code --wait" works and no character of the string or of path means
 * anything more; quotes are not interpreted (a wrapper script can do that). */
void lc_editor_argv(const char *editor, const char *path, lc_strv *argv);
/* Lets the user edit text in their editor with this process's terminal: the
 * text goes into a file called name (e.g. "step.py", for the editor's syntax
 * mode) inside a fresh private directory (mode 0700, under $TMPDIR or /tmp),
 * which is removed afterwards. The editor starts with default signal
 * handling and an empty signal mask. LC_OK: *out is the edited text (at most
 * max bytes, malloc'd). LC_ENOTFOUND: the editor could not be started;
 * LC_ECANCEL: it exited with a non-zero status or was killed; LC_EIO: the
 * file could not be written or read back. The message says which. */
int lc_edit_text(const char *text, const char *name, size_t max, char **out, lc_err *err);

/* ---- JSON helpers over cJSON -------------------------------------------- */

/* NULL when the key is missing or not of that type. */
const char *lc_json_str(const cJSON *obj, const char *key);
double lc_json_num(const cJSON *obj, const char *key, double dflt);
/* An integral number within [min, max], or dflt when the key is missing, not
 * a number, not whole, or out of range: a peer's number is checked before a
 * cast could overflow (undefined behaviour) or a huge value is used. */
int64_t lc_json_int(const cJSON *obj, const char *key, int64_t dflt, int64_t min, int64_t max);
bool lc_json_bool(const cJSON *obj, const char *key, bool dflt);
/* Compact text of a value; caller frees. */
char *lc_json_print(const cJSON *v);
/* Parses text of the given length (not necessarily NUL-terminated). */
cJSON *lc_json_parse(const char *text, size_t len);

#endif
