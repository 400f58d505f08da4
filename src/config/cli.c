/* The command line, parsed from the one option table in config.h. Values
 * of options that set config keys are checked here with the same code as
 * the YAML loader, so "--memory 12x" fails before anything starts and the
 * message names the flag. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

typedef struct cli_opt {
    lc_cli_opt_id id;
    const char *name;
    char short_name;
    const char *arg;
    const char *key;
} cli_opt;

static const cli_opt opts[LC_OPT__COUNT] = {
#define LC_X_(id, lname, sname, arg, key, help) {LC_OPT_##id, lname, sname, arg, key},
    LC_CLI_OPTIONS(LC_X_)
#undef LC_X_
};

static const cli_opt *find_long(const char *name, size_t len)
{
    for (int i = 0; i < LC_OPT__COUNT; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

static const cli_opt *find_short(char c)
{
    for (int i = 0; i < LC_OPT__COUNT; i++)
        if (opts[i].short_name && opts[i].short_name == c)
            return &opts[i];
    return NULL;
}

/* Arguments are quoted in messages that reach a terminal. Caller frees. */
static char *safe(const char *s)
{
    lc_buf b = LC_BUF_INIT;
    lc_text_sanitize(s, strnlen(s, 200), 0, &b);
    return lc_buf_detach(&b);
}

static int unknown_long(const char *arg, size_t len, lc_err *err)
{
    const char *names[LC_OPT__COUNT];
    for (int i = 0; i < LC_OPT__COUNT; i++)
        names[i] = opts[i].name;
    char *word = lc_xstrndup(arg, len < 200 ? len : 200);
    const char *near = lc_config_nearest(word, names, LC_OPT__COUNT);
    char *shown = safe(word);
    int rc;
    if (near)
        rc = lc_err_set(err, LC_EINVAL, "unknown option '--%s'; did you mean '--%s'?", shown, near);
    else
        rc = lc_err_set(err, LC_EINVAL, "unknown option '--%s'; litecode-tui --help lists the options", shown);
    free(shown);
    free(word);
    return rc;
}

static void store(lc_cli *out, const cli_opt *o, const char *value)
{
    out->given[o->id] = true;
    out->value[o->id] = value;
    switch (o->id) {
    case LC_OPT_SET:
        if (out->nsets < LC_CLI_MAX_SETS)
            out->sets[out->nsets] = value;
        out->nsets++; /* one too many is reported by check_sets */
        break;
    case LC_OPT_TASK: out->task = value; break;
    case LC_OPT_DIR: out->dir = value; break;
    case LC_OPT_CONFIG: out->config_path = value; break;
    case LC_OPT_RESUME: out->resume_path = value; break;
    case LC_OPT_REPORT: out->report_path = value; break;
    case LC_OPT_REVIEW: out->review_path = value; break;
    case LC_OPT_PATCH_OUT: out->patch_out_path = value; break;
    case LC_OPT_HEADLESS: out->headless = true; break;
    case LC_OPT_YES: out->yes = true; break;
    case LC_OPT_APPLY: out->apply = true; break;
    case LC_OPT_CHECK: out->check = true; break;
    case LC_OPT_PRINT_CONFIG: out->print_config = true; break;
    case LC_OPT_TRUST: out->trust = true; break;
    case LC_OPT_VERSION: out->version = true; break;
    case LC_OPT_HELP: out->help = true; break;
    default: break;
    }
}

static int missing_value(const cli_opt *o, lc_err *err)
{
    return lc_err_set(err, LC_EINVAL, "--%s needs a value: --%s %s", o->name, o->name, o->arg);
}

static int positional(lc_cli *out, const char *arg, lc_err *err)
{
    if (out->task) {
        char *a = safe(arg), *t = safe(out->task);
        lc_err_set(err, LC_EINVAL,
                   "unexpected argument '%s' after the task '%s'; give the task as one quoted argument, "
                   "e.g. litecode-tui \"fix the failing test\"", a, t);
        free(a);
        free(t);
        return LC_EINVAL;
    }
    store(out, &opts[LC_OPT_TASK], arg);
    return LC_OK;
}

static int parse_short_cluster(int argc, char **argv, int *i, lc_cli *out, lc_err *err)
{
    const char *p = argv[*i] + 1;
    while (*p) {
        const cli_opt *o = find_short(*p);
        if (!o)
            return lc_err_set(err, LC_EINVAL, "unknown option '-%c'; litecode-tui --help lists the options",
                              *p > 0x20 && *p < 0x7f ? *p : '?');
        if (!o->arg) {
            store(out, o, "true");
            p++;
            continue;
        }
        if (p[1]) {
            store(out, o, p + 1);
        } else if (*i + 1 < argc) {
            store(out, o, argv[++*i]);
        } else {
            return missing_value(o, err);
        }
        return LC_OK;
    }
    return LC_OK;
}

static int parse_long(int argc, char **argv, int *i, lc_cli *out, lc_err *err)
{
    const char *name = argv[*i] + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const cli_opt *o = find_long(name, len);
    if (!o)
        return unknown_long(name, len, err);
    if (!o->arg) {
        if (eq)
            return lc_err_set(err, LC_EINVAL, "--%s takes no value; write just --%s", o->name, o->name);
        store(out, o, "true");
    } else if (eq) {
        store(out, o, eq + 1);
    } else if (*i + 1 < argc) {
        store(out, o, argv[++*i]);
    } else {
        return missing_value(o, err);
    }
    return LC_OK;
}

/* "KEY=VALUE" split; VALUE "null" (or "~") unsets, as in YAML. */
static char *split_set(const char *arg, const char **value)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return NULL;
    *value = eq + 1;
    if (!strcmp(*value, "null") || !strcmp(*value, "~"))
        *value = NULL;
    return lc_xstrndup(arg, (size_t)(eq - arg));
}

static int check_sets(const lc_cli *out, lc_err *err)
{
    if (out->nsets > LC_CLI_MAX_SETS)
        return lc_err_set(err, LC_EINVAL, "--set is given %d times; at most %d (put the rest in a config file)",
                          out->nsets, LC_CLI_MAX_SETS);
    for (int i = 0; i < out->nsets; i++) {
        const char *value;
        char *key = split_set(out->sets[i], &value);
        if (!key) {
            char *a = safe(out->sets[i]);
            lc_err_set(err, LC_EINVAL, "--set '%s': write KEY=VALUE, e.g. --set agent.type=tool_calling", a);
            free(a);
            return LC_EINVAL;
        }
        int rc = lc_config_check_value(key, value, err);
        if (rc != LC_OK) {
            char *k = safe(key);
            lc_err_prefix(err, "--set %s", k);
            free(k);
        }
        free(key);
        if (rc != LC_OK)
            return rc;
    }
    return LC_OK;
}

int lc_cli_parse(int argc, char **argv, lc_cli *out, lc_err *err)
{
    memset(out, 0, sizeof *out);
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *task_before = out->task;
        int rc;
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            rc = positional(out, a, err);
        } else if (strcmp(a, "--") == 0) {
            only_positional = true;
            continue;
        } else if (a[1] == '-') {
            rc = parse_long(argc, argv, &i, out, err);
        } else {
            rc = parse_short_cluster(argc, argv, &i, out, err);
        }
        if (rc != LC_OK)
            return rc;
        if (task_before && out->task != task_before) {
            char *first = safe(task_before), *second = safe(out->task);
            lc_err_set(err, LC_EINVAL, "the task is given twice ('%s' and '%s'); give it once", first, second);
            free(first);
            free(second);
            return LC_EINVAL;
        }
    }
    for (int id = 0; id < LC_OPT__COUNT; id++) {
        const cli_opt *o = &opts[id];
        if (!out->given[id])
            continue;
        if (o->arg && !out->value[id][0])
            return lc_err_set(err, LC_EINVAL, "--%s: the value is empty; e.g. --%s %s", o->name, o->name, o->arg);
        if (o->key) {
            int rc = lc_config_check_value(o->key, out->value[id], err);
            if (rc != LC_OK) {
                lc_err_prefix(err, "--%s", o->name);
                return rc;
            }
        }
    }
    int src = check_sets(out, err);
    if (src != LC_OK)
        return src;
    if ((out->apply || out->patch_out_path) && !out->headless)
        return lc_err_set(err, LC_EINVAL, "--%s is for headless runs; add --headless, or apply hunks in the UI",
                          out->apply ? "apply" : "patch-out");
    return LC_OK;
}

int lc_cli_apply(const lc_cli *cli, lc_config *cfg, lc_err *err)
{
    for (int id = 0; id < LC_OPT__COUNT; id++) {
        const cli_opt *o = &opts[id];
        if (!o->key || !cli->given[id])
            continue;
        char flag[64];
        snprintf(flag, sizeof flag, "--%s", o->name);
        int rc = lc_config_set(cfg, o->key, cli->value[id], LC_ORIGIN_FLAG, flag, err);
        if (rc != LC_OK) {
            lc_err_prefix(err, "%s", flag);
            return rc;
        }
    }
    for (int i = 0; i < cli->nsets && i < LC_CLI_MAX_SETS; i++) {
        const char *value;
        char *key = split_set(cli->sets[i], &value);
        int rc = key ? lc_config_set(cfg, key, value, LC_ORIGIN_FLAG, "--set", err)
                     : lc_err_set(err, LC_EINVAL, "--set: write KEY=VALUE");
        if (rc != LC_OK && key)
            lc_err_prefix(err, "--set %s", key);
        free(key);
        if (rc != LC_OK)
            return rc;
    }
    return lc_config_validate(cfg, err);
}
