/* Which names litecode may write into a project: the names git itself
 * refuses (read-cache.c verify_path with core.protectNTFS and
 * core.protectHFS on) are refused on every filesystem, because the same
 * bytes that are an ordinary name here are git's own `.git` on a
 * case-insensitive (WSL /mnt/c, exFAT, CIFS, casefold ext4), NTFS or HFS+
 * filesystem, where a written "hook" runs at the next commit. Written from
 * git's documented rules, checked against `git update-index` in the tests. */
#include <string.h>

#include "diff/diff_int.h"

/* Code points HFS+ (and older casefold ext4) ignore when comparing names. */
static bool hfs_ignorable(unsigned cp)
{
    return (cp >= 0x200c && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x206a && cp <= 0x206f) || cp == 0xfeff;
}

/* Decodes one UTF-8 code point of s[0..n); returns its length, 0 if malformed. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
    if (!n)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || len > n)
        return 0;
    unsigned v = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    *cp = v;
    return len;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* HFS+: the component is "." + name once ignorable code points are dropped
 * and ASCII case folded. Malformed UTF-8 cannot be such a name. */
static bool hfs_is(const char *c, size_t n, const char *name)
{
    const unsigned char *s = (const unsigned char *)c;
    size_t i = 0, k = 0, want = strlen(name);
    for (;;) {
        unsigned cp = 0;
        size_t len = i < n ? utf8_next(s + i, n - i, &cp) : 0;
        if (i < n && !len)
            return false;
        if (i >= n)
            return k == want + 1;
        i += len;
        if (hfs_ignorable(cp))
            continue;
        char expect = k == 0 ? '.' : k <= want ? name[k - 1] : 0;
        if (!expect || cp > 127 || lower((char)cp) != expect)
            return false;
        k++;
    }
}

/* NTFS: after the matched prefix only spaces and dots (which Windows drops),
 * optionally followed by an alternate data stream (":..."). */
static bool ntfs_tail_empty(const char *c, size_t n, size_t from)
{
    for (size_t i = from; i < n; i++) {
        if (c[i] == ':')
            return true;
        if (c[i] != ' ' && c[i] != '.')
            return false;
    }
    return true;
}

static bool prefix_ci(const char *c, size_t n, const char *p)
{
    size_t k = strlen(p);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (lower(c[i]) != p[i])
            return false;
    return true;
}

/* NTFS spellings of ".<name>": the long name, and its 8.3 short names: the
 * first six letters and ~1..~4, or the hashed fallback `short6` with a
 * tilde and digits in the first eight characters. */
static bool ntfs_is(const char *c, size_t n, const char *name, const char *short6)
{
    if (n && c[0] == '.' && prefix_ci(c + 1, n - 1, name) && ntfs_tail_empty(c, n, 1 + strlen(name)))
        return true;
    if (!short6 || strlen(name) < 6)
        return false;
    char six[7];
    memcpy(six, name, 6);
    six[6] = '\0';
    if (prefix_ci(c, n, six) && n >= 8 && c[6] == '~' && c[7] >= '1' && c[7] <= '4' &&
        ntfs_tail_empty(c, n, 8))
        return true;
    /* hashed short name: up to six letters of short6, then ~N[N...] ending at eight */
    size_t i = 0;
    while (i < 6 && i < n && c[i] != '~' && lower(c[i]) == short6[i])
        i++;
    if (i >= n || c[i] != '~' || i + 1 >= n || c[i + 1] < '1' || c[i + 1] > '9')
        return false;
    size_t j = i + 2;
    while (j < n && j < 8 && c[j] >= '0' && c[j] <= '9')
        j++;
    return j == 8 && ntfs_tail_empty(c, n, 8);
}

/* One component (bytes c[0..n), no '/' or '\\'): NULL when it may be
 * written, else why not. */
static const char *component_why(const char *c, size_t n, bool link)
{
    if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
        return "it has an empty, \".\" or \"..\" component";
    if (hfs_is(c, n, "git") || ntfs_is(c, n, "git", NULL))
        return "it names git's own .git directory on some filesystem (\".git\" in any case, with "
               "trailing dots or spaces, an NTFS stream or short name such as GIT~1, or invisible "
               "Unicode characters), where writing it would change the repository or plant a hook";
    /* git refuses GIT~1, .git's NTFS short name; any GIT~N is refused here, as strict */
    if (n >= 5 && prefix_ci(c, n, "git~") && c[4] >= '1' && c[4] <= '9' && ntfs_tail_empty(c, n, 5)) {
        size_t j = 5;
        while (j < n && c[j] >= '0' && c[j] <= '9')
            j++;
        if (ntfs_tail_empty(c, n, j))
            return "it can be the NTFS short name of .git (GIT~N)";
    }
    if (!link)
        return NULL;
    /* Files git opens itself must not be symlinks (git refuses .gitmodules; its fsck warns
     * about the others): a link could make git read a file from outside the project. */
    static const char *const dot[][2] = {
        {"gitmodules", "gi7eba"}, {"gitattributes", "gi7d29"}, {"gitignore", "gi250a"}, {"mailmap", "maba30"}};
    for (size_t i = 0; i < sizeof dot / sizeof *dot; i++)
        if (hfs_is(c, n, dot[i][0]) || ntfs_is(c, n, dot[i][0], dot[i][1]))
            return "git reads this file itself and refuses it as a symlink (.gitmodules, "
                   ".gitattributes, .gitignore, .mailmap in any spelling)";
    return NULL;
}

const char *dfi_path_why(const char *rel, bool link)
{
    if (!rel || !*rel || rel[0] == '/')
        return "it is not a relative path";
    /* Backslash is a separator on Windows filesystems: each part is checked on its own too. */
    for (const char *p = rel;;) {
        size_t n = strcspn(p, "/\\");
        bool last = p[n] == '\0';
        /* an empty part beside a backslash (two in a row, or one at the end) is an ordinary name */
        bool by_backslash = p[n] == '\\' || (p > rel && p[-1] == '\\');
        const char *why = n == 0 && by_backslash ? NULL : component_why(p, n, link && !strchr(p + n, '/'));
        if (why)
            return why;
        if (last)
            return NULL;
        p += n + 1;
    }
}

bool dfi_path_ok(const char *rel)
{
    return dfi_path_why(rel, false) == NULL;
}

bool dfi_path_plain(const char *rel)
{
    if (!lc_path_is_safe_relative(rel))
        return false;
    for (const char *p = rel;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 4 && memcmp(p, ".git", 4) == 0)
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

const char *dfi_link_target_why(const char *t, size_t len)
{
    if (!len)
        return "its target is empty";
    if (memchr(t, '\0', len))
        return "its target contains a NUL byte";
    if (t[0] == '/')
        return "its target is absolute; litecode only writes links that are relative and never "
               "climb with \"..\", so they cannot lead outside the directory";
    for (size_t i = 0; i < len;) {
        size_t n = 0;
        while (i + n < len && t[i + n] != '/' && t[i + n] != '\\')
            n++;
        const char *c = t + i;
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return "its target contains \"..\"; litecode only writes links that are relative and "
                   "never climb with \"..\", so they cannot lead outside the directory";
        if (n && !(n == 1 && c[0] == '.') && component_why(c, n, false))
            return "its target names git's own .git directory (in some spelling)";
        i += n + 1;
    }
    return NULL;
}
