/* The key table and typed setting of one value. Files, the environment and
 * flags all end up in lc_config_set / lc_config_set_list, so a value is
 * checked the same way wherever it was written. Messages name the value and
 * the fix; the caller adds where (FILE:LINE:COL or --flag) in front. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"

static const lc_config_key keys[LC_CFG__COUNT] = {
#define LC_X_(id, sec, nm, ty, member, mn, mx, ch, dc) \
    {LC_CFG_##id, sec, nm, sec "." nm, ty, offsetof(lc_config, member), mn, mx, ch, dc},
    LC_CONFIG_KEYS(LC_X_)
#undef LC_X_
};

#define STR_MAX 4096
#define TEXT_MAX 65536
#define LIST_MAX 256

const lc_config_key *lc_config_keys(void)
{
    return keys;
}

const lc_config_key *lc_config_key_find(const char *dotted)
{
    for (int i = 0; i < LC_CFG__COUNT; i++)
        if (dotted && strcmp(keys[i].dotted, dotted) == 0)
            return &keys[i];
    return NULL;
}

/* ---- nearest word (for "did you mean") ---- */

/* Optimal string alignment distance: Levenshtein plus adjacent swaps, so
 * "memroy" is one edit from "memory". Words are short (keys, flags). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64)
        return SIZE_MAX;
    size_t d[65][65];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[n][m];
}

const char *lc_config_nearest(const char *word, const char *const *candidates, size_t n)
{
    if (!word || !*word)
        return NULL;
    size_t len = strlen(word);
    size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

/* ---- origins ---- */

static void origin_set(lc_config *c, lc_config_key_id id, lc_config_origin_kind kind, const char *text)
{
    char *copy = lc_xstrdup(text);
    free(c->origin[id].text);
    c->origin[id].kind = kind;
    c->origin[id].text = copy;
}

const char *lc_config_origin_describe(const lc_config *c, lc_config_key_id id, char *out, size_t outsz)
{
    const lc_config_origin *o = &c->origin[id];
    const char *t = o->text ? o->text : "";
    switch (o->kind) {
    case LC_ORIGIN_DEFAULT: snprintf(out, outsz, "default"); break;
    case LC_ORIGIN_TEMPLATE: snprintf(out, outsz, "template %s", t); break;
    case LC_ORIGIN_PROFILE: snprintf(out, outsz, "profile %s", t); break;
    case LC_ORIGIN_FILE: snprintf(out, outsz, "%s", t); break;
    case LC_ORIGIN_ENV: snprintf(out, outsz, "env %s", t); break;
    case LC_ORIGIN_FLAG: snprintf(out, outsz, "flag %s", t); break;
    }
    return out;
}

/* ---- checking text ---- */

static int check_string(const char *s, bool multiline, lc_err *err)
{
    size_t len = strlen(s);
    if (len == 0)
        return lc_err_set(err, LC_EINVAL, "the value is empty; write a value or remove the line");
    if (len > (multiline ? TEXT_MAX : STR_MAX))
        return lc_err_set(err, LC_EINVAL, "the value is %zu bytes long; the limit is %d", len,
                          multiline ? TEXT_MAX : STR_MAX);
    if (!lc_utf8_valid(s, len))
        return lc_err_set(err, LC_EINVAL, "the value is not valid UTF-8");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (multiline && (*p == '\n' || *p == '\t'))
            continue;
        if (*p < 0x20 || *p == 0x7f)
            return lc_err_set(err, LC_EINVAL, "the value contains a control character (0x%02x)%s", *p,
                              multiline ? "" : "; it must be one line");
    }
    return LC_OK;
}

static bool all_chars(const char *s, const char *extra)
{
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(extra, *p))
            return false;
    return true;
}

/* Rules beyond the type, for keys whose text is used as a name or a path. */
static int check_key_text(lc_config_key_id id, const char *s, lc_err *err)
{
    switch (id) {
    case LC_CFG_MODEL_NAME:
        /* A name without a provider is fine for a server set by base_url;
         * lc_config_validate checks that pair. */
        if (s[0] == '/' || lc_str_ends_with(s, "/") || (lc_str_starts_with(s, "replay:") && !s[7]))
            return lc_err_set(err, LC_EINVAL,
                              "'%s' is not a model; write provider/model, e.g. openai/gpt-4o, "
                              "anthropic/claude-sonnet-4-5 or ollama/llama3, or replay:FILE", s);
        break;
    case LC_CFG_APPROVAL_RULES: {
        lc_approval_rule r;
        if (lc_approval_rule_parse(s, &r, err) != LC_OK)
            return LC_EINVAL;
        lc_approval_rule_free(&r);
        break;
    }
    case LC_CFG_MODEL_BASE_URL:
        if (!lc_str_starts_with(s, "http://") && !lc_str_starts_with(s, "https://"))
            return lc_err_set(err, LC_EINVAL, "'%s' is not an http:// or https:// URL; e.g. http://localhost:11434/v1", s);
        break;
    case LC_CFG_MODEL_API_KEY_ENV:
        if (isdigit((unsigned char)s[0]) || !all_chars(s, "_"))
            return lc_err_set(err, LC_EINVAL, "'%s' is not an environment variable name; e.g. OPENAI_API_KEY", s);
        break;
    case LC_CFG_AGENT_PROFILE:
        /* The name picks a file agents/NAME.yaml, so no path characters. */
        if (!all_chars(s, "_-"))
            return lc_err_set(err, LC_EINVAL, "'%s' is not a profile name; use letters, digits, '-' and '_', e.g. digger", s);
        break;
    case LC_CFG_CONTAINER_IMAGE:
        /* Passed to the engine's CLI as one word: one that starts with '-' would be read as
         * an option (--privileged, --volume=...), never as an image. */
        if (!isalnum((unsigned char)s[0]) || !all_chars(s, "._/:@-"))
            return lc_err_set(err, LC_EINVAL,
                              "'%s' is not an image reference; write [registry/]name[:tag][@digest], "
                              "e.g. python:3.12-slim or registry.example.com/team/sandbox:1", s);
        break;
    case LC_CFG_CONTAINER_IMPORTS:
        if (!all_chars(s, "_.*"))
            return lc_err_set(err, LC_EINVAL, "'%s' is not a module name; e.g. json, os.* or *", s);
        break;
    default:
        break;
    }
    return LC_OK;
}

/* Splits "a|b|c" into words for messages and suggestions. */
typedef struct choice_list {
    char word[8][32];
    const char *ptr[8];
    size_t n;
} choice_list;

static void choices_split(const char *choices, choice_list *cl)
{
    cl->n = 0;
    const char *p = choices;
    while (p && *p && cl->n < 8) {
        size_t len = strcspn(p, "|");
        snprintf(cl->word[cl->n], sizeof cl->word[0], "%.*s", (int)len, p);
        cl->ptr[cl->n] = cl->word[cl->n];
        cl->n++;
        p += len;
        if (*p == '|')
            p++;
    }
}

static int choice_check(const lc_config_key *k, const char *s, lc_err *err)
{
    choice_list cl;
    choices_split(k->choices, &cl);
    for (size_t i = 0; i < cl.n; i++)
        if (strcmp(cl.word[i], s) == 0)
            return (int)i;
    lc_buf msg = LC_BUF_INIT;
    lc_buf_printf(&msg, "'%s' is not one of ", s);
    for (size_t i = 0; i < cl.n; i++)
        lc_buf_printf(&msg, "%s%s", i ? (i + 1 == cl.n ? " or " : ", ") : "", cl.word[i]);
    const char *near = lc_config_nearest(s, cl.ptr, cl.n);
    if (near)
        lc_buf_printf(&msg, "; did you mean '%s'?", near);
    lc_err_set(err, LC_EINVAL, "%s", lc_buf_cstr(&msg));
    lc_buf_free(&msg);
    return LC_EINVAL;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = true, LC_OK;
        if (strcasecmp(s, no[i]) == 0)
            return *out = false, LC_OK;
    }
    return LC_EINVAL;
}

static void format_range(const lc_config_key *k, char *out, size_t outsz)
{
    if (k->type == LC_CFGT_SIZE) {
        char a[32], b[32];
        lc_format_size((int64_t)k->min, a, sizeof a);
        lc_format_size((int64_t)k->max, b, sizeof b);
        snprintf(out, outsz, "%s to %s", a, b);
    } else {
        snprintf(out, outsz, "%g to %g", k->min, k->max);
    }
}

static int out_of_range(const lc_config_key *k, const char *s, lc_err *err)
{
    char range[80];
    format_range(k, range, sizeof range);
    return lc_err_set(err, LC_EINVAL, "%s is out of range; use a value from %s", s, range);
}

/* ---- typed setting ---- */

static void *field(lc_config *c, const lc_config_key *k)
{
    return (char *)c + k->offset;
}

/* A template only changes what nobody set on purpose. */
static void apply_template(lc_config *c, const char *name)
{
    static const lc_config_key_id ids[] = {
        LC_CFG_CONTAINER_IMAGE, LC_CFG_CONTAINER_MEMORY, LC_CFG_CONTAINER_TIMEOUT,
        LC_CFG_CONTAINER_NETWORK, LC_CFG_CONTAINER_IMPORTS,
    };
    lc_container_config t;
    lc_container_config_copy(&t, &c->container);
    if (lc_container_template_apply(&t, name, NULL) != LC_OK) {
        lc_container_config_free(&t);
        return;
    }
    lc_container_config *cc = &c->container;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        lc_config_key_id id = ids[i];
        if (c->origin[id].kind != LC_ORIGIN_DEFAULT && c->origin[id].kind != LC_ORIGIN_TEMPLATE)
            continue;
        switch (id) {
        case LC_CFG_CONTAINER_IMAGE: {
            char *tmp = cc->image;
            cc->image = t.image;
            t.image = tmp;
            break;
        }
        case LC_CFG_CONTAINER_MEMORY: cc->memory_bytes = t.memory_bytes; break;
        case LC_CFG_CONTAINER_TIMEOUT: cc->timeout_s = t.timeout_s; break;
        case LC_CFG_CONTAINER_NETWORK: cc->network = t.network; break;
        case LC_CFG_CONTAINER_IMPORTS: {
            lc_strv tmp = cc->authorized_imports;
            cc->authorized_imports = t.authorized_imports;
            t.authorized_imports = tmp;
            break;
        }
        default: break;
        }
        origin_set(c, id, LC_ORIGIN_TEMPLATE, name);
    }
    lc_container_config_free(&t);
}

/* Checks one scalar for key k and, when c is not NULL, stores it. */
static int set_scalar(lc_config *c, const lc_config_key *k, const char *s, lc_err *err)
{
    bool null = s == NULL;
    if (null && k->type != LC_CFGT_STR_NULL && k->type != LC_CFGT_TEXT && k->type != LC_CFGT_PRICE)
        return lc_err_set(err, LC_EINVAL, "needs a value; null is not allowed here");
    /* Before any message quotes the value: no control bytes, valid UTF-8. */
    int bad = null ? LC_OK : check_string(s, k->type == LC_CFGT_TEXT, err);
    if (bad != LC_OK)
        return bad;
    switch (k->type) {
    case LC_CFGT_STR:
    case LC_CFGT_STR_NULL:
    case LC_CFGT_TEXT:
    case LC_CFGT_CHOICE: {
        int rc;
        if (!null) {
            if ((rc = check_string(s, k->type == LC_CFGT_TEXT, err)) != LC_OK ||
                (rc = check_key_text(k->id, s, err)) != LC_OK)
                return rc;
            if (k->type == LC_CFGT_CHOICE && choice_check(k, s, err) < 0)
                return LC_EINVAL;
        }
        if (c) {
            char **f = field(c, k);
            free(*f);
            *f = null ? NULL : lc_xstrdup(s);
            if (k->id == LC_CFG_CONTAINER_TEMPLATE)
                apply_template(c, s);
        }
        return LC_OK;
    }
    case LC_CFGT_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || *end || errno == ERANGE)
            return lc_err_set(err, LC_EINVAL, "'%s' is not a whole number; e.g. %g", s, k->min > 1 ? k->min : 20);
        if ((double)v < k->min || (double)v > k->max)
            return out_of_range(k, s, err);
        if (c)
            *(int *)field(c, k) = (int)v;
        return LC_OK;
    }
    case LC_CFGT_DOUBLE:
    case LC_CFGT_PRICE: { /* a price may be null: -1, litecode's table */
        bool price = k->type == LC_CFGT_PRICE;
        double v = -1;
        if (!null) {
            char *end;
            v = strtod(s, &end);
            if (end == s || *end || !isfinite(v))
                return lc_err_set(err, LC_EINVAL, "'%s' is not %s", s,
                                  price ? "a price; give US dollars per million tokens, e.g. 2.5" : "a number; e.g. 0.5");
            if (v < k->min || v > k->max)
                return out_of_range(k, s, err);
        }
        if (c)
            *(double *)field(c, k) = v;
        return LC_OK;
    }
    case LC_CFGT_BOOL: {
        bool v;
        if (parse_bool(s, &v) != LC_OK)
            return lc_err_set(err, LC_EINVAL, "'%s' is not true or false", s);
        if (c)
            *(bool *)field(c, k) = v;
        return LC_OK;
    }
    case LC_CFGT_SIZE: {
        int64_t v;
        if (lc_parse_size(s, &v) != LC_OK)
            return lc_err_set(err, LC_EINVAL, "'%s' is not a size; use a number with k, m or g, e.g. 512m", s);
        if ((double)v < k->min || (double)v > k->max)
            return out_of_range(k, s, err);
        if (c)
            *(int64_t *)field(c, k) = v;
        return LC_OK;
    }
    case LC_CFGT_ENGINE:
    case LC_CFGT_AGENT:
    case LC_CFGT_WORKSPACE: {
        int i = choice_check(k, s, err);
        if (i < 0)
            return LC_EINVAL;
        if (c) {
            if (k->type == LC_CFGT_ENGINE)
                *(lc_engine_kind *)field(c, k) = (lc_engine_kind)i;
            else if (k->type == LC_CFGT_AGENT)
                *(lc_agent_type *)field(c, k) = (lc_agent_type)i;
            else
                *(bool *)field(c, k) = i == 1;
        }
        return LC_OK;
    }
    case LC_CFGT_NETWORK: {
        bool v;
        if (parse_bool(s, &v) != LC_OK) {
            if (strcmp(s, "none") == 0)
                v = false;
            else if (strcmp(s, "bridge") == 0)
                v = true;
            else
                return lc_err_set(err, LC_EINVAL, "'%s' is not a network setting; use false (none) or true (bridge)", s);
        }
        if (c)
            *(bool *)field(c, k) = v;
        return LC_OK;
    }
    case LC_CFGT_LIST:
    case LC_CFGT_MAP:
        break;
    }
    return lc_err_set(err, LC_EINVAL, "expected a list");
}

static int set_items(lc_config *c, const lc_config_key *k, const lc_strv *items, lc_err *err)
{
    if (items->n > LIST_MAX)
        return lc_err_set(err, LC_EINVAL, "the list has %zu entries; the limit is %d", items->n, LIST_MAX);
    for (size_t i = 0; i < items->n; i++) {
        const char *s = items->v[i];
        int rc = check_string(s, false, err);
        if (rc == LC_OK)
            rc = check_key_text(k->id, s, err);
        if (rc == LC_OK && k->type == LC_CFGT_MAP) {
            const char *eq = strchr(s, '=');
            if (!eq || eq == s || !eq[1])
                rc = lc_err_set(err, LC_EINVAL, "'%s' is not action=key; e.g. quit=q", s);
        }
        if (rc != LC_OK) {
            lc_err_prefix(err, "entry %zu", i + 1);
            return rc;
        }
    }
    if (c) {
        lc_strv *f = field(c, k);
        lc_strv_clear(f);
        lc_strv_copy(f, items);
    }
    return LC_OK;
}

static void split_commas(const char *s, lc_strv *out)
{
    if (!s || !*s)
        return;
    for (;;) {
        size_t n = strcspn(s, ",");
        const char *a = s, *b = s + n;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        lc_strv_push_owned(out, lc_xstrndup(a, (size_t)(b - a)));
        if (!s[n])
            break;
        s += n + 1;
    }
}

static const lc_config_key *find_or_fail(const char *dotted, lc_err *err)
{
    const lc_config_key *k = lc_config_key_find(dotted);
    if (!k) {
        const char *names[LC_CFG__COUNT];
        for (int i = 0; i < LC_CFG__COUNT; i++)
            names[i] = keys[i].dotted;
        const char *near = lc_config_nearest(dotted, names, LC_CFG__COUNT);
        lc_err_set(err, LC_EINVAL, "unknown key '%s'%s%s%s", dotted ? dotted : "", near ? "; did you mean '" : "",
                   near ? near : "", near ? "'?" : "");
    }
    return k;
}

static int set_any(lc_config *c, const char *dotted, const char *value, const lc_strv *items,
                   lc_config_origin_kind kind, const char *origin_text, lc_err *err)
{
    const lc_config_key *k = find_or_fail(dotted, err);
    if (!k)
        return LC_EINVAL;
    int rc;
    bool list = k->type == LC_CFGT_LIST || k->type == LC_CFGT_MAP;
    if (c && kind == LC_ORIGIN_PROFILE && c->origin[k->id].kind > LC_ORIGIN_PROFILE)
        c = NULL; /* set on purpose by the user: only check the value */
    if (list) {
        lc_strv split = LC_STRV_INIT;
        if (!items)
            split_commas(value, &split);
        rc = set_items(c, k, items ? items : &split, err);
        lc_strv_free(&split);
    } else if (items) {
        rc = lc_err_set(err, LC_EINVAL, "expected a single value, not a list");
    } else {
        rc = set_scalar(c, k, value, err);
    }
    if (rc == LC_OK && c)
        origin_set(c, k->id, kind, origin_text);
    if (rc == LC_OK && c && k->id == LC_CFG_APPROVAL_RULES)
        lc_strv_free(&c->approval.origins); /* a file's loader puts each rule's line back */
    return rc;
}

int lc_config_set(lc_config *c, const char *dotted, const char *value, lc_config_origin_kind kind,
                  const char *origin_text, lc_err *err)
{
    return set_any(c, dotted, value, NULL, kind, origin_text, err);
}

int lc_config_set_list(lc_config *c, const char *dotted, const lc_strv *items, lc_config_origin_kind kind,
                       const char *origin_text, lc_err *err)
{
    return set_any(c, dotted, NULL, items, kind, origin_text, err);
}

int lc_config_check_value(const char *dotted, const char *value, lc_err *err)
{
    return set_any(NULL, dotted, value, NULL, LC_ORIGIN_DEFAULT, NULL, err);
}

/* ---- rules across keys ---- */

int lc_config_refuse_local_exec(lc_err *err)
{
    return lc_err_set(err, LC_ESECURITY,
                      "security.allow_local_code_execution: true is refused. Local execution would run code the "
                      "model wrote directly on your machine with your permissions: it could read your keys and "
                      "files, delete your work or send data anywhere. litecode-tui always runs code in the "
                      "container sandbox on a shadow copy of your project, and has no local executor; remove the "
                      "line or set it to false. For more room in the sandbox raise container.memory or "
                      "container.timeout, or use container.template: ml; for network access set "
                      "container.network: true");
}

int lc_config_validate(const lc_config *c, lc_err *err)
{
    if (c->security.allow_local_code_execution)
        return lc_config_refuse_local_exec(err);
    const char *name = c->model.name;
    if (name && !strchr(name, '/') && !lc_str_starts_with(name, "replay:") && !c->model.base_url) {
        char origin[600];
        lc_config_origin_describe(c, LC_CFG_MODEL_NAME, origin, sizeof origin);
        return lc_err_set(err, LC_EINVAL,
                          "model.name '%s' (from %s) does not say its provider; write provider/model, e.g. "
                          "openai/gpt-4o, anthropic/claude-sonnet-4-5 or ollama/llama3, or set model.base_url "
                          "to the OpenAI-compatible server that serves it", name, origin);
    }
    if (!c->container.image || !c->container.template_name || !c->ui.theme)
        return lc_err_set(err, LC_EINVAL, "the configuration is incomplete; start from lc_config_defaults");
    return LC_OK;
}
