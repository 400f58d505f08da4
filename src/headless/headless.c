/* Headless front end: the agent's steps printed as plain text, approval
 * asked on a line of input (r run, e edit in $EDITOR, d decline with a
 * reason, s stop) unless every step is auto-approved; a call of an MCP
 * tool is asked about as the host action it is. Everything from the
 * model or the sandbox is sanitized before it reaches the terminal. What it
 * knows of the agent is agent.h's public face and the events. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "headless/headless.h"

#define LINE_MAX_IN 4096
#define EDIT_MAX (1024 * 1024)

struct lc_headless {
    FILE *in;
    FILE *out;
    const lc_model_config *model; /* borrowed, may be NULL: prices */
    bool auto_approve;
    bool in_reply;   /* tokens are being printed */
    bool out_nl;     /* the last output byte printed was a newline */
    bool stopped;
    bool saw_result; /* a step result since the last proposal: its output was printed live */
    char carry[4];   /* the start of a UTF-8 character cut between two output pieces */
    int wake[2];     /* lc_headless_stop writes here: a pending question ends at once */
    size_t ncarry;
    int64_t ptok, ctok; /* tokens used, as the provider reported them */
};

lc_headless *lc_headless_new(FILE *in, FILE *out, const lc_model_config *model, bool auto_approve)
{
    lc_headless *h = lc_xcalloc(1, sizeof *h);
    h->in = in;
    h->out = out;
    h->model = model;
    h->auto_approve = auto_approve;
    h->out_nl = true;
    h->wake[0] = h->wake[1] = -1;
    if (fileno(in) >= 0 && pipe2(h->wake, O_CLOEXEC | O_NONBLOCK) == 0)
        setvbuf(in, NULL, _IONBF, 0); /* so polling the descriptor sees every unread byte */
    return h;
}

void lc_headless_free(lc_headless *h)
{
    if (!h)
        return;
    if (h->wake[0] >= 0) {
        close(h->wake[0]);
        close(h->wake[1]);
    }
    free(h);
}

void lc_headless_stop(lc_headless *h)
{
    if (h->wake[1] >= 0)
        (void)!write(h->wake[1], "x", 1);
}

static void put(lc_headless *h, const char *s, size_t n)
{
    if (n) {
        lc_text_fwrite(h->out, s, n);
        h->out_nl = s[n - 1] == '\n'; /* kept as is by the sanitizer; anything else is not a newline */
    }
}

/* Output and tokens come in pieces that may cut a UTF-8 character in two;
 * sanitizing each piece alone would show the halves as \xNN. The cut-off
 * start of a character waits for the next piece (or is flushed as is). */
static void put_stream(lc_headless *h, const char *s, size_t n)
{
    lc_buf b = LC_BUF_INIT;
    lc_buf_append(&b, h->carry, h->ncarry);
    lc_buf_append(&b, s, n);
    h->ncarry = 0;
    size_t keep = 0;
    for (size_t back = 1; back <= 3 && back <= b.len; back++) {
        unsigned char c = (unsigned char)b.data[b.len - back];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte: look further back */
        size_t need = c >= 0xF0 && c <= 0xF7 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (c >= 0xC0 && need > back)
            keep = back;
        break;
    }
    if (keep) {
        memcpy(h->carry, b.data + b.len - keep, keep);
        h->ncarry = keep;
    }
    put(h, b.data ? b.data : "", b.len - keep);
    lc_buf_free(&b);
}

static void flush_stream(lc_headless *h)
{
    if (h->ncarry) {
        size_t n = h->ncarry;
        h->ncarry = 0;
        put(h, h->carry, n);
    }
}

static void puts_safe(lc_headless *h, const char *s)
{
    if (s)
        put(h, s, strlen(s));
}

static void end_line(lc_headless *h)
{
    if (!h->out_nl) {
        lc_text_fputs(h->out, "\n");
        h->out_nl = true;
    }
}

/* Our own labels; printed through the sanitizer all the same, like every
 * byte of this front end. */
static void label(lc_headless *h, const char *fmt, ...) LC_PRINTF(2, 3);
static void label(lc_headless *h, const char *fmt, ...)
{
    end_line(h);
    va_list ap;
    va_start(ap, fmt);
    lc_text_vfprintf(h->out, fmt, ap);
    va_end(ap);
    h->out_nl = fmt[strlen(fmt) - 1] == '\n';
}

static void block(lc_headless *h, const char *title, const char *text)
{
    label(h, "%s\n", title);
    puts_safe(h, text);
    end_line(h);
}

static void on_event(void *ctx, const lc_event *ev)
{
    lc_headless *h = ctx;
    if (!lc_event_shown(ev))
        return; /* the record's side of the stream */
    if (ev->kind != LC_EV_TOKEN && ev->kind != LC_EV_OUTPUT)
        flush_stream(h);
    if (h->in_reply && ev->kind != LC_EV_TOKEN && ev->kind != LC_EV_REASONING) {
        end_line(h);
        h->in_reply = false;
    }
    switch (ev->kind) {
    case LC_EV_TASK:
        block(h, "== Task", ev->text);
        break;
    case LC_EV_STEP_BEGIN:
        h->saw_result = false;
        label(h, "\n== Step %d/%d\n", ev->step, ev->max_steps);
        break;
    case LC_EV_ACTION:
        h->saw_result = false;
        break;
    case LC_EV_OBSERVATION:
        /* After a run the output was already shown; otherwise (a syntax
         * error, no code, a decline) this is the only trace of the step. */
        if (!h->saw_result)
            block(h, "-- the model is told:", ev->text);
        break;
    case LC_EV_TOKEN:
        h->in_reply = true;
        put_stream(h, ev->text, ev->len);
        break;
    case LC_EV_PLAN:
        block(h, "-- Plan", ev->text);
        break;
    case LC_EV_OUTPUT:
        put_stream(h, ev->text, ev->len);
        break;
    case LC_EV_TOOL_CALL:
        label(h, "-- tool call: ");
        puts_safe(h, ev->text);
        puts_safe(h, " ");
        puts_safe(h, ev->detail);
        end_line(h);
        break;
    case LC_EV_STEP_RESULT:
        label(h, "-- result: %s", lc_step_status_name(ev->result->status));
        if (ev->result->error_type) {
            puts_safe(h, " ");
            puts_safe(h, ev->result->error_type);
            puts_safe(h, ": ");
            puts_safe(h, ev->result->error_message);
        }
        if (ev->result->notice) {
            puts_safe(h, " (");
            puts_safe(h, ev->result->notice);
            puts_safe(h, ")");
        }
        end_line(h);
        if (ev->result->value_repr) {
            lc_buf v = LC_BUF_INIT;
            lc_text_head_tail(ev->result->value_repr, strlen(ev->result->value_repr), 1500, 500, &v);
            block(h, "-- value:", lc_buf_cstr(&v));
            lc_buf_free(&v);
        }
        h->saw_result = true;
        break;
    case LC_EV_CHANGED_FILES:
        block(h, "-- changed files", ev->text);
        break;
    case LC_EV_USER_MESSAGE:
        block(h, "-- your message", ev->text);
        break;
    case LC_EV_DECISION:
        /* A decision nobody was asked for, other than --yes's own line: say what made it. */
        if (ev->decision && ev->decision->automatic && ev->decision->by && strcmp(ev->decision->by, "mode") != 0) {
            label(h, ev->decision->kind == LC_DECIDE_DECLINE ? "-- declined without asking: "
                                                              : "-- ran without asking: ");
            puts_safe(h, ev->decision->why);
            end_line(h);
        }
        break;
    case LC_EV_INFO:
        label(h, "-- ");
        puts_safe(h, ev->text);
        end_line(h);
        break;
    case LC_EV_ERROR:
        label(h, "!! error: ");
        puts_safe(h, ev->text);
        end_line(h);
        break;
    case LC_EV_USAGE:
        h->ptok += ev->prompt_tokens;
        h->ctok += ev->completion_tokens;
        break;
    default:
        break; /* reasoning, model_reply, decision, final answer: printed elsewhere */
    }
    fflush(h->out);
}

/* Reads one line (without the newline); NULL at end of input. */
static char *read_line(lc_headless *h)
{
    char buf[LINE_MAX_IN];
    if (h->wake[0] >= 0) {
        struct pollfd pfd[2] = {{fileno(h->in), POLLIN, 0}, {h->wake[0], POLLIN, 0}};
        while (poll(pfd, 2, -1) < 0 && errno == EINTR)
            ;
        if (pfd[1].revents)
            return NULL; /* stopped: as if the input had ended */
    }
    if (!fgets(buf, sizeof buf, h->in))
        return NULL;
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return lc_xstrdup(buf);
}

/* An ask rule under --yes with no terminal on stdin: the user wrote that
 * rule to be asked, and nobody can be, so the step does not run, and both
 * the user and the model are told why (never a wait on stdin). */
static lc_decision refused_by_ask_rule(lc_headless *h, const lc_action *act)
{
    lc_decision d = {.kind = LC_DECIDE_DECLINE, .automatic = true, .by = "rule"};
    snprintf(d.why, sizeof d.why,
             "rule %.80s asks about step %d, and nobody can answer (--yes, and stdin is no terminal); the step "
             "did not run",
             act->ask_rule, act->step);
    d.text = lc_xstrdup(d.why);
    label(h, "-- not run: %s\n", d.why);
    fflush(h->out);
    return d;
}

/* $EDITOR is run by core/proc, as the TUI runs it (a private directory,
 * no shell). */
static char *edit_code(lc_headless *h, const char *code, const char *name)
{
    char *out = NULL;
    lc_err err = {0};
    if (lc_edit_text(code, name, EDIT_MAX, &out, &err) != LC_OK)
        label(h, "!! %s; nothing was changed\n", err.msg);
    return out;
}

/* A call of an MCP tool runs on the user's machine with the user's rights,
 * not in the sandbox: the question says so, and shows what the TUI shows
 * (server, tool, arguments), not "code to run". */
static void show_host_call(lc_headless *h, const lc_action *act)
{
    label(h, "-- MCP tool call: runs on your machine, outside the sandbox\n");
    label(h, "   server: ");
    puts_safe(h, act->mcp_server);
    end_line(h);
    label(h, "   tool: ");
    puts_safe(h, act->mcp_tool ? act->mcp_tool : "?");
    end_line(h);
    const char *args = act->tool_args ? act->tool_args : "{}";
    cJSON *j = lc_json_parse(args, strlen(args));
    char *pretty = j ? cJSON_Print(j) : NULL;
    block(h, "   arguments:", pretty ? pretty : args);
    cJSON_free(pretty);
    cJSON_Delete(j);
}

static lc_decision on_approve(void *ctx, const lc_action *act)
{
    lc_headless *h = ctx;
    end_line(h);
    h->in_reply = false;
    bool host_call = act->mcp_server != NULL;
    if (host_call) {
        show_host_call(h, act);
    } else {
        if (act->kind == LC_ACTION_TOOL && act->tool_name) {
            label(h, "-- proposed call: ");
            puts_safe(h, act->tool_name);
            end_line(h);
        }
        block(h, "-- code to run:", act->code ? act->code : act->tool_args);
    }
    if (h->auto_approve) {
        if (act->ask_rule && !isatty(fileno(h->in)))
            return refused_by_ask_rule(h, act);
        if (!act->ask_rule) {
            label(h, "-- auto-approved (--yes)\n");
            fflush(h->out);
            return (lc_decision){.kind = LC_DECIDE_RUN, .automatic = true};
        }
        label(h, "-- rule %s asks about this step, even under --yes\n", act->ask_rule);
    }
    for (;;) {
        label(h, host_call ? "Allow this call of a host tool? [r]un, [e]dit the arguments, [d]ecline, [s]top: "
                           : "Run this step? [r]un, [e]dit, [d]ecline, [s]top: ");
        fflush(h->out);
        char *line = read_line(h);
        if (!line) { /* end of input: nobody is there to approve */
            label(h, "\n-- no more input: stopping\n");
            h->stopped = true;
            return (lc_decision){.kind = LC_DECIDE_STOP};
        }
        char c = line[0];
        free(line);
        h->out_nl = true;
        if (c == 'r' || c == 'R' || c == 'y')
            return (lc_decision){.kind = LC_DECIDE_RUN};
        if (c == 's' || c == 'S' || c == 'q') {
            h->stopped = true;
            return (lc_decision){.kind = LC_DECIDE_STOP};
        }
        if (c == 'd' || c == 'D' || c == 'n') {
            label(h, "Reason (one line, tells the model why): ");
            fflush(h->out);
            char *reason = read_line(h);
            return (lc_decision){.kind = LC_DECIDE_DECLINE, .text = reason ? reason : lc_xstrdup("")};
        }
        if (c == 'e' || c == 'E') {
            /* A call's edit is its arguments, as JSON (the agent checks them). */
            char *edited = host_call ? edit_code(h, act->tool_args ? act->tool_args : "{}", "arguments.json")
                                     : edit_code(h, act->code ? act->code : "", "step.py");
            if (edited) {
                block(h, host_call ? "-- edited arguments:" : "-- edited code:", edited);
                return (lc_decision){.kind = LC_DECIDE_RUN_EDITED, .text = edited};
            }
            continue;
        }
    }
}

static char *on_ask_user(void *ctx, const char *question)
{
    lc_headless *h = ctx;
    block(h, "-- the agent asks:", question);
    label(h, "Your answer (empty: no answer): ");
    fflush(h->out);
    char *line = read_line(h);
    h->out_nl = true;
    if (line && !*line) {
        free(line);
        return NULL;
    }
    return line;
}

static bool on_auto_approving(void *ctx)
{
    lc_headless *h = ctx;
    return h->auto_approve;
}

lc_observer lc_headless_observer(lc_headless *h)
{
    return (lc_observer){h, on_event, on_approve, on_ask_user, on_auto_approving};
}

int lc_headless_run(lc_headless *h, lc_agent *agent, const char *task)
{
    lc_agent_outcome outcome = LC_AGENT_FAILED;
    char *answer = NULL;
    lc_err err = {0};
    int rc = lc_agent_run(agent, task, &outcome, &answer, &err);
    end_line(h);
    if (rc != LC_OK) {
        label(h, "\n== Failed\n");
        puts_safe(h, err.msg);
        end_line(h);
    } else if (outcome == LC_AGENT_STOPPED) {
        label(h, "\n== Stopped by the user after %d steps\n", lc_agent_steps(agent));
    } else if (outcome == LC_AGENT_MAX_STEPS) {
        block(h, "\n== Step limit reached; best-effort answer", answer);
    } else if (outcome == LC_AGENT_ANSWERED) {
        block(h, "\n== Final answer", answer);
    } else {
        label(h, "\n== Failed\n");
    }
    int code = lc_agent_exit_code(rc, outcome);
    if (h->ptok || h->ctok) {
        double cost = h->model ? lc_model_cost(h->model, h->ptok, h->ctok) : -1;
        char price[48] = "";
        if (cost >= 0)
            snprintf(price, sizeof price, ", about $%.4f", cost);
        label(h, "== Tokens: %lld prompt, %lld completion%s\n", (long long)h->ptok, (long long)h->ctok, price);
    }
    fflush(h->out);
    free(answer);
    return code;
}
