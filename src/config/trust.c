/* The trust store: which exact .litecode.yaml of which project the user read
 * and trusted. A line binds the SHA-256 of the file's bytes to the project's
 * real path, so a file that changes (a step rewrote it and the change was
 * applied, a pull brought a new one) is not read until the user looks again.
 * A store that someone else could have written is ignored, since it would
 * let them make us read a project file the user never saw. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

#define STORE_MAX (1024 * 1024)
#define PROJECT_FILE_MAX (1024 * 1024)
#define HASH_TAG "sha256:"

char *lc_trust_store_path(lc_err *err)
{
    char *dir = lc_xdg_dir("state", err);
    if (!dir)
        return NULL;
    char *p = lc_path_join(dir, "trusted.txt");
    free(dir);
    return p;
}

static char *real_dir(const char *dir, lc_err *err)
{
    char *rp = realpath(dir ? dir : ".", NULL);
    if (!rp) {
        lc_err_errno(err, errno == ENOENT ? LC_ENOTFOUND : LC_EIO, errno, "resolving %s", dir ? dir : ".");
        return NULL;
    }
    if (strchr(rp, '\n')) {
        lc_err_set(err, LC_EINVAL, "the path of %s contains a newline; it cannot be trusted", dir);
        free(rp);
        return NULL;
    }
    return rp;
}

int lc_config_project_read(const char *dir, lc_buf *out, lc_err *err)
{
    char *path = lc_config_project_path(dir);
    /* Not through a symlink: the bytes trusted must be the project's own,
     * not a file elsewhere that can change while the project does not. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    int rc = LC_OK;
    struct stat st;
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            rc = lc_err_set(err, LC_ESECURITY,
                            "%s is a symlink; a project file must be a regular file in the project, so it "
                            "is not read (replace the link by the file itself)", path);
        else
            rc = lc_err_errno(err, e == ENOENT ? LC_ENOTFOUND : LC_EIO, e, "reading %s", path);
    } else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = lc_err_set(err, LC_EINVAL, "%s is not a regular file, so it is not read", path);
    } else if ((uint64_t)st.st_size > PROJECT_FILE_MAX) {
        rc = lc_err_set(err, LC_EINVAL, "%s is %lld bytes, more than the limit of %d for a configuration", path,
                        (long long)st.st_size, PROJECT_FILE_MAX);
    } else {
        for (;;) {
            lc_buf_reserve(out, 65536);
            ssize_t n = read(fd, out->data + out->len, out->cap - out->len - 1);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                rc = lc_err_errno(err, LC_EIO, errno, "reading %s", path);
                break;
            }
            if (n == 0)
                break;
            out->len += (size_t)n;
            out->data[out->len] = '\0';
            if (out->len > PROJECT_FILE_MAX) {
                rc = lc_err_set(err, LC_EINVAL, "%s grew past the limit of %d bytes while it was read", path,
                                PROJECT_FILE_MAX);
                break;
            }
        }
    }
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

/* The hash of the project file as it is now; false when it cannot be read. */
static bool project_hash(const char *dir, char hash[LC_SHA256_HEX_LEN + 1])
{
    lc_buf data = LC_BUF_INIT;
    bool ok = lc_config_project_read(dir, &data, NULL) == LC_OK;
    if (ok)
        lc_sha256_hex(data.data ? data.data : "", data.len, hash);
    lc_buf_free(&data);
    return ok;
}

/* The hash a store line records for path rp, or NULL. Lines without a hash
 * (the store of earlier versions, by path only) bind nothing. */
static const char *store_find(const char *text, const char *rp, char hash[LC_SHA256_HEX_LEN + 1])
{
    size_t n = strlen(rp), tag = strlen(HASH_TAG);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        size_t head = tag + LC_SHA256_HEX_LEN + 1;
        if (len == head + n && strncmp(p, HASH_TAG, tag) == 0 && p[head - 1] == ' ' && memcmp(p + head, rp, n) == 0) {
            memcpy(hash, p + tag, LC_SHA256_HEX_LEN);
            hash[LC_SHA256_HEX_LEN] = '\0';
            return hash;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return NULL;
}

/* Reads the store; a missing store is empty. */
static int store_read(const char *path, lc_buf *out, lc_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? LC_OK : lc_err_errno(err, LC_EIO, errno, "reading %s", path);
    if (st.st_uid != geteuid() || (st.st_mode & 022))
        return lc_err_set(err, LC_ESECURITY,
                          "%s is writable by other users or not yours, so it is ignored; fix it with "
                          "chmod 600 %s", path, path);
    return lc_file_read(path, STORE_MAX, out, err);
}

lc_project_state lc_trust_check(const char *dir, char hash[LC_SHA256_HEX_LEN + 1])
{
    char now[LC_SHA256_HEX_LEN + 1] = "";
    if (hash)
        hash[0] = '\0';
    char *path = lc_config_project_path(dir);
    struct stat st;
    bool exists = lstat(path, &st) == 0;
    free(path);
    if (!exists)
        return LC_PROJECT_NONE;
    if (!project_hash(dir, now))
        return LC_PROJECT_UNTRUSTED; /* the load says why it cannot be read */
    if (hash)
        memcpy(hash, now, sizeof now);
    char *rp = real_dir(dir, NULL);
    char *store = rp ? lc_trust_store_path(NULL) : NULL;
    lc_buf text = LC_BUF_INIT;
    char had[LC_SHA256_HEX_LEN + 1];
    const char *found = store && store_read(store, &text, NULL) == LC_OK ? store_find(lc_buf_cstr(&text), rp, had)
                                                                         : NULL;
    lc_project_state s = !found ? LC_PROJECT_UNTRUSTED
                                : strcmp(found, now) == 0 ? LC_PROJECT_TRUSTED : LC_PROJECT_CHANGED;
    lc_buf_free(&text);
    free(store);
    free(rp);
    return s;
}

lc_project_state lc_project_state_of(const char *dir)
{
    return lc_trust_check(dir, NULL);
}

bool lc_trust_is_trusted(const char *dir)
{
    return lc_trust_check(dir, NULL) == LC_PROJECT_TRUSTED;
}

int lc_trust_add(const char *dir, const char *hash, lc_err *err)
{
    char now[LC_SHA256_HEX_LEN + 1];
    if (!hash) {
        lc_buf data = LC_BUF_INIT;
        int rc = lc_config_project_read(dir, &data, err);
        if (rc == LC_OK)
            lc_sha256_hex(data.data ? data.data : "", data.len, now);
        lc_buf_free(&data);
        if (rc != LC_OK)
            return rc;
        hash = now;
    }
    if (strlen(hash) != LC_SHA256_HEX_LEN || strspn(hash, "0123456789abcdef") != LC_SHA256_HEX_LEN)
        return lc_err_set(err, LC_EINVAL, "not a SHA-256 hash: %.80s", hash);
    char *rp = real_dir(dir, err);
    if (!rp)
        return err ? err->code : LC_EINVAL;
    char *store = lc_trust_store_path(err);
    if (!store) {
        free(rp);
        return err ? err->code : LC_ENOTFOUND;
    }
    lc_buf text = LC_BUF_INIT, out = LC_BUF_INIT;
    char *parent = lc_xstrdup(store);
    *strrchr(parent, '/') = '\0';
    int rc = lc_mkdir_p(parent, 0700, err);
    if (rc == LC_OK)
        rc = store_read(store, &text, err);
    if (rc == LC_OK) {
        /* Every other line stays; this project's earlier lines (another
         * hash, or a bare path of an older store) give way to the new one. */
        size_t n = strlen(rp);
        for (const char *p = lc_buf_cstr(&text); *p;) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            const char *sp = memchr(p, ' ', len);
            const char *pathpart = lc_str_starts_with(p, HASH_TAG) && sp ? sp + 1 : p;
            size_t plen = len - (size_t)(pathpart - p);
            if (len && !(plen == n && memcmp(pathpart, rp, n) == 0))
                lc_buf_printf(&out, "%.*s\n", (int)len, p);
            if (!nl)
                break;
            p = nl + 1;
        }
        lc_buf_printf(&out, HASH_TAG "%s %s\n", hash, rp);
        rc = lc_file_write_atomic(store, out.data, out.len, 0600, err);
    }
    lc_buf_free(&text);
    lc_buf_free(&out);
    free(parent);
    free(store);
    free(rp);
    return rc;
}

/* What the project file sets, read over the user's own file so that the
 * rules that compare with it (limits may only tighten) see what a run sees. */
static int preview_bytes(const char *dir, const lc_buf *data, lc_buf *out, lc_err *err)
{
    char *path = lc_config_project_path(dir);
    lc_config c;
    lc_config_defaults(&c);
    char *user = lc_config_user_path(NULL);
    if (user && lc_config_load_file(&c, user, LC_LAYER_USER, NULL) != LC_OK) {
        lc_config_free(&c);
        lc_config_defaults(&c);
    }
    int rc = lc_config_load_data(&c, path, data->data ? data->data : "", data->len, LC_LAYER_PROJECT, err);
    const lc_config_key *keys = lc_config_keys();
    size_t plen = strlen(path);
    for (int i = 0; rc == LC_OK && i < LC_CFG__COUNT; i++) {
        const lc_config_origin *o = &c.origin[i]; /* only what the project file sets ("PATH:LINE") */
        if (o->kind != LC_ORIGIN_FILE || !o->text || strncmp(o->text, path, plen) != 0 || o->text[plen] != ':')
            continue;
        lc_buf_printf(out, "  %s: ", keys[i].dotted);
        lc_config_print_value(&c, keys[i].id, out);
        lc_buf_putc(out, '\n');
    }
    lc_config_free(&c);
    free(user);
    free(path);
    return rc;
}

int lc_trust_preview(const char *dir, lc_buf *out, char hash[LC_SHA256_HEX_LEN + 1], lc_err *err)
{
    lc_buf data = LC_BUF_INIT;
    int rc = lc_config_project_read(dir, &data, err);
    if (rc == LC_OK && hash)
        lc_sha256_hex(data.data ? data.data : "", data.len, hash);
    if (rc == LC_OK)
        rc = preview_bytes(dir, &data, out, err);
    lc_buf_free(&data);
    return rc;
}

/* The directory as a shell word, safe on a terminal. */
static void put_shell_word(lc_buf *out, const char *s)
{
    bool plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+", *p))
            plain = false;
    lc_buf quoted = LC_BUF_INIT;
    if (plain) {
        lc_buf_puts(&quoted, s);
    } else {
        lc_buf_putc(&quoted, '\'');
        for (const char *p = s; *p; p++)
            if (*p == '\'')
                lc_buf_puts(&quoted, "'\\''");
            else
                lc_buf_putc(&quoted, *p);
        lc_buf_putc(&quoted, '\'');
    }
    lc_text_sanitize(quoted.data, quoted.len, 0, out);
    lc_buf_free(&quoted);
}

int lc_trust_prompt_text(const char *dir, bool changed, lc_buf *out, char hash[LC_SHA256_HEX_LEN + 1], lc_err *err)
{
    lc_buf preview = LC_BUF_INIT;
    int rc = lc_trust_preview(dir, &preview, hash, err);
    if (rc == LC_OK) {
        lc_buf_puts(out, "The project ");
        put_shell_word(out, dir ? dir : ".");
        lc_buf_puts(out, changed ? " has a .litecode.yaml that changed since you trusted it (trust covers the "
                                   "file's exact content). "
                                 : " has a .litecode.yaml. ");
        lc_buf_puts(out, "A project file can tighten limits and pick the agent's profile and tools, so it is read "
                         "only for projects you trust; settings that reach your secrets or your machine are refused "
                         "in it. It sets:\n");
        lc_buf_puts(out, preview.len ? lc_buf_cstr(&preview) : "  (nothing)\n");
        lc_buf_puts(out, "Trust this project and read this .litecode.yaml, now and in later sessions (until it "
                         "changes)? [y/N] ");
    }
    lc_buf_free(&preview);
    return rc;
}

void lc_trust_refusal_text(const char *dir, bool changed, lc_buf *out)
{
    if (changed)
        lc_buf_puts(out, "The project's .litecode.yaml was not read: it changed since you trusted the project, "
                         "and trust covers the file's exact content. Read the file, then trust it again with: "
                         "litecode-tui --trust --dir ");
    else
        lc_buf_puts(out, "The project's .litecode.yaml was not read: the project is not trusted and there is no "
                         "terminal to ask on. Read the file, then trust the project once with: litecode-tui "
                         "--trust --dir ");
    put_shell_word(out, dir ? dir : ".");
    lc_buf_putc(out, '\n');
}

int lc_trust_ask(const char *dir, bool changed, FILE *in, FILE *out, char hash[LC_SHA256_HEX_LEN + 1], lc_err *err)
{
    lc_buf q = LC_BUF_INIT;
    int rc = lc_trust_prompt_text(dir, changed, &q, hash, err);
    if (rc != LC_OK) {
        lc_buf_free(&q);
        return rc;
    }
    lc_text_fputs(out, lc_buf_cstr(&q));
    fflush(out);
    lc_buf_free(&q);
    char line[64] = "";
    if (!fgets(line, sizeof line, in) || (line[0] != 'y' && line[0] != 'Y'))
        return lc_err_set(err, LC_ECANCEL, "not trusted");
    /* What is trusted is what was shown: the hash of those bytes. */
    return lc_trust_add(dir, hash, err);
}
