/* What runs before a session: see startup.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "exec/exec.h"
#include "session.h"
#include "startup.h"
#include "ui/ui.h"

/* Whether the project's .litecode.yaml is read: trusted as it is, or the
 * user says so now on a terminal; without one, why not is said. hash gets
 * the hash of the bytes trusted. */
static bool project_trusted(const lc_cli *cli, const char *dir, char hash[LC_SHA256_HEX_LEN + 1])
{
    lc_project_state ps = lc_trust_check(dir, hash);
    if (ps == LC_PROJECT_TRUSTED)
        return true;
    if (ps == LC_PROJECT_NONE)
        return false;
    bool changed = ps == LC_PROJECT_CHANGED;
    if (!cli->headless && isatty(STDIN_FILENO) && isatty(STDERR_FILENO) && !cli->print_config) {
        lc_err err = {0};
        int rc = lc_trust_ask(dir, changed, stdin, stderr, hash, &err);
        if (rc != LC_OK && rc != LC_ECANCEL)
            lc_text_fprintf(stderr, "litecode-tui: the project's .litecode.yaml is not read: %s\n", err.msg);
        return rc == LC_OK;
    }
    lc_buf b = LC_BUF_INIT;
    lc_trust_refusal_text(dir, changed, &b);
    lc_text_fputs(stderr, lc_buf_cstr(&b));
    if (b.len && b.data[b.len - 1] != '\n')
        lc_text_fputs(stderr, "\n");
    lc_buf_free(&b);
    return false;
}

/* --trust: what is trusted is the file as it is checked and shown here. */
static int trust_now(const char *dir, char hash[LC_SHA256_HEX_LEN + 1], lc_err *err)
{
    lc_buf shown = LC_BUF_INIT;
    int rc = lc_trust_preview(dir, &shown, hash, err);
    if (rc == LC_OK)
        rc = lc_trust_add(dir, hash, err);
    if (rc == LC_OK)
        lc_text_fprintf(stderr, "litecode-tui: trusted %s as it is now; its .litecode.yaml sets:\n%s", dir,
                        shown.len ? lc_buf_cstr(&shown) : "  (nothing)\n");
    lc_buf_free(&shown);
    return rc;
}

/* What the config validation cannot see: the directory, the key bindings and
 * the theme. They are checked here, before a shadow copy is made, as usage
 * errors. */
static int check_start_options(const lc_cli *cli, const lc_config *cfg, const char *data, lc_err *err)
{
    struct stat st;
    if (cli->dir && stat(cli->dir, &st) != 0)
        return lc_err_set(err, LC_EINVAL, "--dir %s: %s; give the project's directory", cli->dir, strerror(errno));
    if (cli->dir && !S_ISDIR(st.st_mode))
        return lc_err_set(err, LC_EINVAL, "--dir %s is not a directory; give the project's directory", cli->dir);
    if (lc_ui_keys_check(&cfg->ui.key_bindings, err) != LC_OK)
        return LC_EINVAL;
    if (!cfg->ui.theme)
        return LC_OK;
    char *themes = lc_path_join(data, "themes");
    int rc = lc_ui_theme_check(cfg->ui.theme, themes, err);
    free(themes);
    return rc == LC_OK ? LC_OK : LC_EINVAL;
}

int lc_startup_config(const lc_cli *cli, lc_config *cfg, lc_err *err)
{
    const char *dir = cli->dir ? cli->dir : ".";
    lc_config_load_opts lo = LC_CONFIG_LOAD_OPTS_INIT;
    lo.config_path = cli->config_path;
    lo.dir = dir;
    char hash[LC_SHA256_HEX_LEN + 1] = "";
    if (cli->trust) {
        int rc = trust_now(dir, hash, err);
        if (rc != LC_OK) {
            lc_config_defaults(cfg); /* the caller frees it */
            return rc;
        }
    }
    lo.project_trusted = project_trusted(cli, dir, hash);
    if (lo.project_trusted)
        lo.project_sha256 = hash;
    char *data = lc_session_data_dir();
    int rc = lc_config_load(cfg, &lo, err);
    if (rc == LC_OK)
        rc = lc_cli_apply(cli, cfg, err);
    if (rc == LC_OK)
        rc = lc_profile_use(cfg, data, err);
    if (rc == LC_OK)
        rc = lc_config_validate(cfg, err);
    if (rc == LC_OK) /* each approval rule does what its examples say, before anything starts */
        rc = lc_agent_check_rules(cfg, err);
    if (rc == LC_OK)
        rc = check_start_options(cli, cfg, data, err);
    free(data);
    return rc;
}

int lc_startup_check(lc_config *cfg)
{
    lc_buf out = LC_BUF_INIT;
    lc_err err = {0};
    int rc = lc_exec_check(&cfg->container, &out, &err);
    lc_text_fputs(stdout, lc_buf_cstr(&out));
    lc_buf_free(&out);
    lc_buf mcp = LC_BUF_INIT; /* each MCP server started, its tools listed, stopped */
    int crc = lc_mcp_check(&cfg->mcp, &mcp);
    lc_text_fputs(stdout, lc_buf_cstr(&mcp));
    lc_buf_free(&mcp);
    if (rc == LC_OK)
        rc = crc;
    if (!cfg->model.name) {
        lc_text_fprintf(stdout, "info  no model configured: litecode-tui opens the bundled demo "
                                "(set model.name or --model)\n");
        return rc == LC_OK ? LC_EXIT_OK : lc_exit_code_for(rc);
    }
    lc_err merr = {0};
    int64_t ms = 0;
    int mrc = lc_llm_ping(&cfg->model, &ms, &merr);
    if (mrc == LC_OK) {
        lc_text_fprintf(stdout, "ok    model %s answered in %lld ms\n", cfg->model.name, (long long)ms);
    } else {
        char *why = lc_text_line(merr.msg); /* one line: a server's body cannot forge a check */
        lc_text_fprintf(stdout, "FAIL  model %s\n      -> %s\n", cfg->model.name, why);
        free(why);
        if (rc == LC_OK)
            rc = mrc;
    }
    return rc == LC_OK ? LC_EXIT_OK : lc_exit_code_for(rc);
}

int lc_startup_print_config(const lc_config *cfg)
{
    lc_buf b = LC_BUF_INIT;
    lc_config_print(cfg, &b);
    lc_text_fputs(stdout, lc_buf_cstr(&b));
    lc_buf_free(&b);
    return LC_EXIT_OK;
}

int lc_startup_report(const char *log)
{
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    int rc = lc_report_render(log, &b, &err);
    if (rc == LC_OK)
        lc_text_fputs(stdout, lc_buf_cstr(&b));
    else
        lc_text_fprintf(stderr, "litecode-tui: --report: %s\n", err.msg);
    lc_buf_free(&b);
    return rc == LC_OK ? LC_EXIT_OK : lc_exit_code_for(rc);
}
