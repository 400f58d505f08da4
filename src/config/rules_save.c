/* Saving an approval rule to the user's config file ("allow steps like this"
 * kept for later sessions). The file is the user's own: everything in it
 * stays byte for byte, the rule goes in as one more "- '...'" line of the
 * block list approval.rules (made when missing), and the result is read back
 * by the real loader before it replaces the file. Where a plain line cannot
 * be added (flow style, a rules key that is no list) the user is told what
 * to change instead; nothing is rewritten. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "config/config.h"

#define SAVE_FILE_MAX (1024 * 1024)

/* Where the new line goes: before line `at` (0-based; the number of lines:
 * at the end), indented `indent` columns, with `head` lines made first (the
 * section or the key that is missing). */
typedef struct spot {
    size_t at;
    int indent;
    bool need_approval, need_rules;
} spot;

typedef struct scan {
    yaml_parser_t parser;
    yaml_event_t ev;
    bool have;
    const char *path;
    lc_err *err;
} scan;

static int next(scan *s)
{
    if (s->have)
        yaml_event_delete(&s->ev);
    s->have = false;
    if (!yaml_parser_parse(&s->parser, &s->ev))
        return lc_err_set(s->err, LC_EINVAL, "%s:%zu: not valid YAML (%s); fix the file first", s->path,
                          s->parser.problem_mark.line + 1, s->parser.problem ? s->parser.problem : "?");
    s->have = true;
    return LC_OK;
}

/* Skips the node whose first event is current; afterwards the current event
 * is its last one. */
static int skip_node(scan *s)
{
    int depth = 0;
    for (;;) {
        yaml_event_type_t t = s->ev.type;
        if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT)
            depth++;
        else if (t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT)
            depth--;
        if (depth <= 0)
            return LC_OK;
        if (next(s) != LC_OK)
            return LC_EINVAL;
    }
}

static int refuse(scan *s, size_t line, const char *what)
{
    return lc_err_set(s->err, LC_EINVAL,
                      "%s:%zu: %s, so litecode cannot add a line to it; write approval.rules as a block list "
                      "(\"rules:\" then one \"- '...'\" per line) or add the rule by hand",
                      s->path, line + 1, what);
}

static bool key_is(const yaml_event_t *ev, const char *name)
{
    return ev->type == YAML_SCALAR_EVENT && strcmp((const char *)ev->data.scalar.value, name) == 0;
}

/* Finds where approval.rules' next item goes. The current event is the
 * root mapping's start. */
static int find_spot(scan *s, size_t nlines, spot *out)
{
    if (s->ev.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE)
        return refuse(s, s->ev.start_mark.line, "the file is one flow-style mapping ({...})");
    *out = (spot){.at = nlines, .indent = 4, .need_approval = true, .need_rules = true};
    for (;;) {
        if (next(s) != LC_OK)
            return LC_EINVAL;
        if (s->ev.type == YAML_MAPPING_END_EVENT)
            return LC_OK; /* no approval section: it goes at the end */
        bool approval = key_is(&s->ev, "approval");
        if (next(s) != LC_OK)
            return LC_EINVAL;
        if (!approval) {
            if (skip_node(s) != LC_OK)
                return LC_EINVAL;
            continue;
        }
        size_t key_line = s->ev.start_mark.line;
        if (s->ev.type == YAML_SCALAR_EVENT && s->ev.data.scalar.length == 0 && s->ev.data.scalar.plain_implicit) {
            /* "approval:" with nothing under it. */
            *out = (spot){.at = key_line + 1, .indent = 4, .need_rules = true};
            return LC_OK;
        }
        if (s->ev.type != YAML_MAPPING_START_EVENT)
            return refuse(s, key_line, "approval is not a mapping");
        if (s->ev.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE)
            return refuse(s, key_line, "approval is written in flow style ({...})");
        bool first = true;
        for (;;) {
            if (next(s) != LC_OK)
                return LC_EINVAL;
            if (s->ev.type == YAML_MAPPING_END_EVENT)
                return LC_OK;
            size_t col = s->ev.start_mark.column, line = s->ev.start_mark.line;
            if (first) /* rules goes right under "approval:", indented as its other keys */
                *out = (spot){.at = line, .indent = (int)col + 2, .need_rules = true};
            first = false;
            bool rules = key_is(&s->ev, "rules");
            if (next(s) != LC_OK)
                return LC_EINVAL;
            if (!rules) {
                if (skip_node(s) != LC_OK)
                    return LC_EINVAL;
                continue;
            }
            if (s->ev.type == YAML_SCALAR_EVENT && s->ev.data.scalar.length == 0 &&
                s->ev.data.scalar.plain_implicit) {
                /* "rules:" with nothing after it: the first item goes under it. */
                *out = (spot){.at = line + 1, .indent = (int)col + 2};
                return LC_OK;
            }
            if (s->ev.type != YAML_SEQUENCE_START_EVENT)
                return refuse(s, line, "approval.rules is not a list");
            if (s->ev.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE)
                return refuse(s, line, "approval.rules is written in flow style ([...])");
            int dash = (int)s->ev.start_mark.column;
            size_t last = line;
            for (;;) {
                if (next(s) != LC_OK)
                    return LC_EINVAL;
                if (s->ev.type == YAML_SEQUENCE_END_EVENT)
                    break;
                if (skip_node(s) != LC_OK)
                    return LC_EINVAL;
                /* The item's last line (a mark at a line's very start belongs to the line before). */
                const yaml_mark_t *m = &s->ev.end_mark;
                last = m->column == 0 && m->line > 0 ? m->line - 1 : m->line;
            }
            *out = (spot){.at = last + 1, .indent = dash};
            return LC_OK;
        }
    }
}

/* The byte offset where line `at` starts (len when past the end). */
static size_t line_offset(const char *data, size_t len, size_t at)
{
    size_t off = 0;
    for (size_t l = 0; l < at && off < len; l++) {
        const char *nl = memchr(data + off, '\n', len - off);
        off = nl ? (size_t)(nl - data) + 1 : len;
    }
    return off;
}

static size_t count_lines(const char *data, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += data[i] == '\n';
    return n + (len && data[len - 1] != '\n');
}

/* Finds where the rule goes in data (may be empty). */
static int locate(const char *path, const char *data, size_t len, spot *out, lc_err *err)
{
    scan s = {.path = path, .err = err};
    if (!yaml_parser_initialize(&s.parser))
        return lc_err_set(err, LC_EIO, "cannot start the YAML reader for %s", path);
    yaml_parser_set_input_string(&s.parser, (const unsigned char *)data, len);
    size_t nlines = count_lines(data, len);
    int rc = LC_OK;
    *out = (spot){.at = nlines, .indent = 4, .need_approval = true, .need_rules = true};
    int docs = 0;
    while (rc == LC_OK && (rc = next(&s)) == LC_OK && s.ev.type != YAML_STREAM_END_EVENT) {
        if (s.ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            rc = refuse(&s, s.ev.start_mark.line, "the file holds more than one YAML document");
        } else if (s.ev.type == YAML_MAPPING_START_EVENT) {
            rc = find_spot(&s, nlines, out);
            break;
        } else if (s.ev.type == YAML_SCALAR_EVENT && (s.ev.data.scalar.length || !s.ev.data.scalar.plain_implicit)) {
            rc = refuse(&s, s.ev.start_mark.line, "the file is not a mapping of sections");
        } else if (s.ev.type == YAML_SEQUENCE_START_EVENT) {
            rc = refuse(&s, s.ev.start_mark.line, "the file is a list, not a mapping of sections");
        }
    }
    if (s.have)
        yaml_event_delete(&s.ev);
    yaml_parser_delete(&s.parser);
    return rc;
}

/* The rule as a single-quoted YAML scalar: nothing in it is special there
 * but the quote itself, doubled. A line break or control character could
 * not come back as written, so such a rule is refused. */
static int quote(const char *text, lc_buf *out, lc_err *err)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return lc_err_set(err, LC_EINVAL,
                              "the rule holds a line break or control character, which a config line cannot keep");
    if (!lc_utf8_valid(text, strlen(text)))
        return lc_err_set(err, LC_EINVAL, "the rule is not valid UTF-8, which a YAML file cannot hold");
    lc_buf_putc(out, '\'');
    for (const char *p = text; *p; p++) {
        if (*p == '\'')
            lc_buf_putc(out, '\'');
        lc_buf_putc(out, *p);
    }
    lc_buf_putc(out, '\'');
    return LC_OK;
}

/* The file as it would be with the rule in; *line the rule's line (1-based). */
static int build(const char *path, const char *data, size_t len, const char *rule_text, lc_buf *out, int *line,
                 lc_err *err)
{
    spot sp = {0};
    int rc = locate(path, data, len, &sp, err);
    if (rc != LC_OK)
        return rc;
    lc_buf q = LC_BUF_INIT;
    if ((rc = quote(rule_text, &q, err)) != LC_OK) {
        lc_buf_free(&q);
        return rc;
    }
    size_t off = line_offset(data, len, sp.at);
    lc_buf_append(out, data, off);
    size_t at = sp.at;
    if (off > 0 && data[off - 1] != '\n') {
        lc_buf_putc(out, '\n'); /* the last line had no end */
    }
    if (sp.need_approval) {
        lc_buf_puts(out, "approval:\n");
        at++;
    }
    if (sp.need_rules) {
        lc_buf_printf(out, "%*srules:\n", sp.indent - 2, "");
        at++;
    }
    lc_buf_printf(out, "%*s- %s\n", sp.indent, "", lc_buf_cstr(&q));
    lc_buf_append(out, data + off, len - off);
    *line = (int)at + 1;
    lc_buf_free(&q);
    return LC_OK;
}

/* The new text read back as the loader reads it: the last rule must be the
 * one written, at its line. */
static int read_back(const char *path, const lc_buf *text, const char *rule_text, int line, lc_err *err)
{
    lc_config c;
    lc_config_defaults(&c);
    lc_err e2 = {0};
    int rc = lc_config_load_data(&c, path, text->data ? text->data : "", text->len, LC_LAYER_USER, &e2);
    char want[PATH_MAX + 32];
    snprintf(want, sizeof want, "%s:%d", path, line);
    size_t n = c.approval.rules.n;
    if (rc != LC_OK)
        rc = lc_err_set(err, LC_EINVAL, "with the rule added the file would not load (%s); nothing was written",
                        e2.msg);
    else if (n == 0 || strcmp(c.approval.rules.v[n - 1], rule_text) != 0 || c.approval.origins.n != n ||
             strcmp(c.approval.origins.v[n - 1], want) != 0)
        rc = lc_err_set(err, LC_EINVAL,
                        "with the rule added the file would not read it back as written; nothing was written");
    for (size_t i = 0; rc == LC_OK && i + 1 < n; i++) {
        /* Names are unique: the file may have changed since the name was picked. */
        lc_approval_rule a, b;
        if (lc_approval_rule_parse(c.approval.rules.v[i], &a, &e2) != LC_OK)
            continue;
        if (lc_approval_rule_parse(rule_text, &b, &e2) == LC_OK) {
            if (strcmp(a.name, b.name) == 0)
                rc = lc_err_set(err, LC_EINVAL, "%s already has a rule named %s (at %s); nothing was written",
                                path, b.name, c.approval.origins.n == n ? c.approval.origins.v[i] : "?");
            lc_approval_rule_free(&b);
        }
        lc_approval_rule_free(&a);
    }
    lc_config_free(&c);
    return rc;
}

int lc_approval_rule_append(const char *path, const char *rule_text, int *line, lc_err *err)
{
    /* A symlinked config (a dotfiles repository) keeps its link: its target is written. */
    char *real = realpath(path, NULL);
    const char *target = real ? real : path;
    char *dir = lc_xstrdup(target);
    char *d = dirname(dir);
    lc_buf data = LC_BUF_INIT, text = LC_BUF_INIT;
    struct stat st;
    mode_t mode = 0600;
    int rc = LC_OK, dfd = -1;
    if (!real && lc_mkdir_p(d, 0700, err) != LC_OK) /* no file yet: its directory is private, as the file */
        rc = LC_EIO;
    /* Two sessions saving at once must not lose a rule: the directory (whose
     * inode the rename leaves alone) is locked from the read to the rename. */
    if (rc == LC_OK && ((dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || flock(dfd, LOCK_EX) != 0))
        rc = lc_err_errno(err, LC_EIO, errno, "locking %s", d);
    if (rc == LC_OK && stat(target, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            rc = lc_err_set(err, LC_EINVAL, "%s is not a regular file; not changed", path);
        else
            mode = st.st_mode & 07777;
        if (rc == LC_OK)
            rc = lc_file_read(target, SAVE_FILE_MAX, &data, err);
    } else if (rc == LC_OK && errno != ENOENT) {
        rc = lc_err_errno(err, LC_EIO, errno, "reading %s", path);
    }
    if (rc == LC_OK)
        rc = build(path, data.data ? data.data : "", data.len, rule_text, &text, line, err);
    if (rc == LC_OK)
        rc = read_back(path, &text, rule_text, *line, err);
    if (rc == LC_OK)
        rc = lc_file_write_atomic(target, text.data, text.len, mode, err);
    if (dfd >= 0)
        close(dfd); /* the lock goes with it */
    if (rc != LC_OK)
        lc_err_prefix(err, "saving the rule to %s", path);
    lc_buf_free(&data);
    lc_buf_free(&text);
    free(dir);
    free(real);
    return rc;
}

void lc_approval_rules_names(const char *path, lc_strv *out)
{
    lc_config c;
    lc_config_defaults(&c);
    lc_err err = {0};
    if (lc_config_load_file(&c, path, LC_LAYER_USER, &err) == LC_OK) {
        for (size_t i = 0; i < c.approval.rules.n; i++) {
            lc_approval_rule r;
            if (lc_approval_rule_parse(c.approval.rules.v[i], &r, &err) == LC_OK) {
                lc_strv_push(out, r.name);
                lc_approval_rule_free(&r);
            }
        }
    }
    lc_config_free(&c);
}
