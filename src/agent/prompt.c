/* System prompts for the code agent (Thought / Code / Observation) and the
 * tool-calling agent. The wording is part of the behaviour: tests check the
 * pieces a model relies on (format, tools, imports, final_answer). */
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

static const char code_intro[] =
    "You are an expert software engineer working on the user's project. You solve the task step by "
    "step, in a cycle of Thought, Code and Observation.\n"
    "\n"
    "At each step, first write 'Thought:' with your reasoning and what you will do next, then one block "
    "of Python code in this exact format:\n"
    "\n"
    "Thought: I will read the start of the README to learn what the project is.\n"
    "```python\n"
    "print(open(\"README.md\").read()[:2000])\n"
    "```\n"
    "\n"
    "The user reviews every block before it runs and may approve it, edit it, or decline it with a "
    "reason. Approved code runs in a sandbox: the project is a copy at /workspace (your working "
    "directory), there is no network, and your changes are reviewed by the user before they reach the "
    "real project. Whatever you print() appears in the next 'Observation:', together with the value of "
    "the last expression. Use print() for anything you need to see.\n"
    "\n"
    "State persists between steps: variables, functions and imports you define stay available in later "
    "steps.\n"
    "\n"
    "When you have the answer, call final_answer(answer) in a code block. It ends the task. For "
    "example:\n"
    "```python\n"
    "final_answer(\"The config is loaded in src/config.py, in load_config().\")\n"
    "```\n";

static const char code_rules[] =
    "Rules:\n"
    "1. Always give a 'Thought:' and exactly one ```python block per step; never answer without code.\n"
    "2. Only use variables you have defined; do not guess file contents, read them.\n"
    "3. Do not repeat a step that failed without changing it: read the error and fix its cause.\n"
    "4. Keep steps small; print the facts you need rather than whole files.\n"
    "5. Do not name your variables like the tools.\n"
    "6. Never try to leave the sandbox or reach the network.\n";

static const char tool_intro[] =
    "You are an expert software engineer working on the user's project. You solve the task by calling "
    "tools. The user reviews each call before it runs and may approve it, edit it, or decline it with a "
    "reason.\n"
    "\n"
    "python_executor runs Python in a sandbox: the project is a copy at /workspace, there is no "
    "network, state persists between calls, and the tool returns what was printed and the value of "
    "the last expression. The other tools are also callable from inside python_executor code.\n"
    "\n"
    "When you have the answer, call the final_answer tool with it. It ends the task.\n";

static const char text_calls[] =
    "This server has no native tool calling. To call a tool, reply with one JSON object per call, "
    "alone in a ```json block:\n"
    "```json\n"
    "{\"name\": \"python_executor\", \"arguments\": {\"code\": \"print(1 + 1)\"}}\n"
    "```\n"
    "Available tools: python_executor(code), final_answer(answer), and the tools below with their "
    "parameters as JSON arguments.\n";

/* Says exactly what the kernel's import guard enforces: the configured
 * list, "*" for anything, "x.*" for a package and its submodules. */
static void put_imports(lc_buf *b, const lc_strv *imports)
{
    lc_buf_puts(b, "\nAuthorized imports (anything else raises ImportError): ");
    if (!imports || imports->n == 0) {
        lc_buf_puts(b, "none; do not import modules, use the built-in functions and the tools.\n");
        return;
    }
    for (size_t i = 0; i < imports->n; i++) {
        if (!strcmp(imports->v[i], "*")) {
            lc_buf_puts(b, "any module.\n");
            return;
        }
    }
    for (size_t i = 0; i < imports->n; i++) {
        lc_buf_puts(b, i ? ", " : "");
        lc_text_sanitize(imports->v[i], strlen(imports->v[i]), 0, b);
    }
    lc_buf_puts(b, ".\n");
}

char *lc_prompt_system(const lc_prompt_opts *o)
{
    lc_buf b = LC_BUF_INIT;
    bool code = o->type == LC_AGENT_CODE;
    lc_buf_puts(&b, code ? code_intro : tool_intro);
    if (!code && o->text_tool_calls)
        lc_buf_printf(&b, "\n%s", text_calls);
    const char *sigs = o->tools ? lc_toolset_signatures(o->tools) : NULL;
    if (sigs && *sigs) {
        lc_buf_puts(&b, code ? "\nBesides final_answer, these Python functions are already defined for "
                               "you (call them directly, do not import them):\n\n```python\n"
                             : "\nThese tools are also defined as Python functions in python_executor:"
                               "\n\n```python\n");
        lc_buf_puts(&b, sigs);
        lc_buf_puts(&b, "```\n");
    }
    put_imports(&b, o->authorized_imports);
    if (code)
        lc_buf_printf(&b, "\n%s", code_rules);
    if (o->instructions && *o->instructions) {
        lc_buf_puts(&b, "\nInstructions for this agent:\n");
        lc_buf_puts(&b, o->instructions);
        lc_buf_puts(&b, "\n");
    }
    lc_buf_puts(&b, "\nNow begin. Solve the task carefully.\n");
    return lc_buf_detach(&b);
}
