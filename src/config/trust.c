/* The trust store: real paths of projects whose .litecode.yaml may be read.
 * A store that someone else could have written is ignored, since it would
 * let them make us read a project file the user never saw. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

#define STORE_MAX (1024 * 1024)

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

static bool store_has(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len == n && memcmp(p, line, n) == 0)
            return true;
        if (!nl)
            break;
        p = nl + 1;
    }
    return false;
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

bool lc_trust_is_trusted(const char *dir)
{
    char *rp = real_dir(dir, NULL);
    char *store = rp ? lc_trust_store_path(NULL) : NULL;
    lc_buf text = LC_BUF_INIT;
    bool ok = store && store_read(store, &text, NULL) == LC_OK && store_has(lc_buf_cstr(&text), rp);
    lc_buf_free(&text);
    free(store);
    free(rp);
    return ok;
}

int lc_trust_add(const char *dir, lc_err *err)
{
    char *rp = real_dir(dir, err);
    if (!rp)
        return err ? err->code : LC_EINVAL;
    char *store = lc_trust_store_path(err);
    if (!store) {
        free(rp);
        return err ? err->code : LC_ENOTFOUND;
    }
    lc_buf text = LC_BUF_INIT;
    char *parent = lc_xstrdup(store);
    *strrchr(parent, '/') = '\0';
    int rc = lc_mkdir_p(parent, 0700, err);
    if (rc == LC_OK)
        rc = store_read(store, &text, err);
    if (rc == LC_OK && !store_has(lc_buf_cstr(&text), rp)) {
        if (text.len && text.data[text.len - 1] != '\n')
            lc_buf_putc(&text, '\n');
        lc_buf_printf(&text, "%s\n", rp);
        rc = lc_file_write_atomic(store, text.data, text.len, 0600, err);
    }
    lc_buf_free(&text);
    free(parent);
    free(store);
    free(rp);
    return rc;
}

lc_project_state lc_project_state_of(const char *dir)
{
    char *path = lc_config_project_path(dir);
    struct stat st;
    bool exists = stat(path, &st) == 0;
    free(path);
    if (!exists)
        return LC_PROJECT_NONE;
    return lc_trust_is_trusted(dir) ? LC_PROJECT_TRUSTED : LC_PROJECT_UNTRUSTED;
}
