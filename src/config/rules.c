/* The syntax of approval rules (approval.rules in the user's config; never
 * from a project file). One rule is one line:
 *
 *   ACTION NAME: PATTERN; PATTERN... | must: FACT; FACT... | must-not: FACT... | why: TEXT
 *
 * ACTION is allow, ask or deny; a PATTERN or FACT is "call X", "import X",
 * "write PATH" or "tool NAME" (a pattern's X may hold * and ? globs; a tool
 * pattern may add one "KEY=GLOB" on its arguments). Each must / must-not is
 * one example step, given by its facts as the static check reports them; at
 * least one must is required. What the facts mean and how they match is the
 * agent's (src/agent/approval.c); this file only reads the text. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

static char *trim(const char *a, const char *b)
{
    while (a < b && isspace((unsigned char)*a))
        a++;
    while (b > a && isspace((unsigned char)b[-1]))
        b--;
    return lc_xstrndup(a, (size_t)(b - a));
}

void lc_approval_items(const char *s, lc_strv *out)
{
    for (;;) {
        size_t n = strcspn(s, ";");
        char *t = trim(s, s + n);
        if (*t)
            lc_strv_push_owned(out, t);
        else
            free(t);
        if (!s[n])
            break;
        s += n + 1;
    }
}

int lc_approval_fact_check(const char *f, bool pattern, lc_err *err)
{
    static const char *const kinds[] = {"call ", "import ", "write ", "tool "};
    for (size_t i = 0; i < 4; i++) {
        size_t k = strlen(kinds[i]);
        if (strncmp(f, kinds[i], k) != 0)
            continue;
        const char *v = f + k;
        while (*v == ' ')
            v++;
        if (!*v)
            return lc_err_set(err, LC_EINVAL, "'%s' names nothing after '%s'", f, kinds[i]);
        if (i == 3) {
            size_t name = strcspn(v, " ");
            const char *rest = v + name;
            while (*rest == ' ')
                rest++;
            if (*rest && (!strchr(rest, '=') || *rest == '='))
                return lc_err_set(err, LC_EINVAL, "'%s': after the tool's name comes one KEY=%s on its arguments",
                                  f, pattern ? "GLOB" : "VALUE");
        }
        return LC_OK;
    }
    return lc_err_set(err, LC_EINVAL,
                      "'%s' is not a %s; write call NAME, import MODULE, write PATH or tool NAME (e.g. call os.remove)",
                      f, pattern ? "pattern" : "fact");
}

void lc_approval_rule_free(lc_approval_rule *r)
{
    free(r->name);
    free(r->why);
    lc_strv_free(&r->pats);
    lc_strv_free(&r->must);
    lc_strv_free(&r->must_not);
    memset(r, 0, sizeof *r);
}

static int check_items(const char *what, const char *text, bool pattern, lc_strv *items, lc_err *err)
{
    lc_approval_items(text, items);
    if (items->n == 0)
        return lc_err_set(err, LC_EINVAL, "%s is empty", what);
    for (size_t i = 0; i < items->n; i++)
        if (lc_approval_fact_check(items->v[i], pattern, err) != LC_OK) {
            lc_err_prefix(err, "%s", what);
            return LC_EINVAL;
        }
    return LC_OK;
}

int lc_approval_rule_parse(const char *text, lc_approval_rule *out, lc_err *err)
{
    memset(out, 0, sizeof *out);
    static const char *const actions[] = {"allow ", "ask ", "deny "};
    size_t i;
    for (i = 0; i < 3 && strncmp(text, actions[i], strlen(actions[i])) != 0; i++)
        ;
    if (i == 3)
        return lc_err_set(err, LC_EINVAL,
                          "'%.60s' does not start with allow, ask or deny; e.g. 'deny no-rm: call os.remove; "
                          "call shutil.rmtree | must: call os.remove | why: keep files'", text);
    out->action = (lc_rule_action)i;
    const char *p = text + strlen(actions[i]);
    const char *colon = strchr(p, ':');
    const char *bar = strstr(p, " | ");
    if (!colon || (bar && bar < colon))
        return lc_err_set(err, LC_EINVAL, "the rule has no 'NAME:' after '%s'", actions[i]);
    out->name = trim(p, colon);
    if (!*out->name || strspn(out->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
                           strlen(out->name)) {
        int rc = lc_err_set(err, LC_EINVAL, "'%s' is not a rule name; use letters, digits, '-', '_' and '.'",
                            out->name);
        lc_approval_rule_free(out);
        return rc;
    }
    /* Segments: the patterns, then "must:", "must-not:", "why:" in any order. */
    int rc = LC_OK;
    const char *seg = colon + 1;
    bool first = true;
    while (rc == LC_OK) {
        const char *end = strstr(seg, " | ");
        char *s = trim(seg, end ? end : seg + strlen(seg));
        if (first) {
            rc = check_items("the patterns", s, true, &out->pats, err);
        } else if (lc_str_starts_with(s, "must:")) {
            lc_strv ex = LC_STRV_INIT;
            rc = check_items("a must example", s + 5, false, &ex, err);
            lc_strv_push_owned(&out->must, lc_strv_join(&ex, "; "));
            lc_strv_free(&ex);
        } else if (lc_str_starts_with(s, "must-not:")) {
            lc_strv ex = LC_STRV_INIT;
            rc = check_items("a must-not example", s + 9, false, &ex, err);
            lc_strv_push_owned(&out->must_not, lc_strv_join(&ex, "; "));
            lc_strv_free(&ex);
        } else if (lc_str_starts_with(s, "why:") && !out->why) {
            out->why = trim(s + 4, s + strlen(s));
        } else {
            rc = lc_err_set(err, LC_EINVAL, "'%.60s' is not must:, must-not: or why: (one why per rule)", s);
        }
        free(s);
        first = false;
        if (!end)
            break;
        seg = end + 3;
    }
    if (rc == LC_OK && out->must.n == 0)
        rc = lc_err_set(err, LC_EINVAL,
                        "the rule has no example: add '| must: FACT; FACT' (a step it must match), e.g. "
                        "'| must: call os.remove'");
    if (rc != LC_OK) {
        lc_err_prefix(err, "rule %s", out->name);
        lc_approval_rule_free(out);
    }
    return rc;
}
