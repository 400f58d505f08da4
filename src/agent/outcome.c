/* How a run's end becomes the process's exit code: said once, for the TUI,
 * headless mode and the session alike (the table is LC_EXIT_CODES). */
#include "agent/agent.h"

int lc_agent_exit_code(int rc, lc_agent_outcome outcome)
{
    if (rc != LC_OK)
        return LC_EXIT_ERROR; /* the run failed (a stop is an outcome, not an error) */
    switch (outcome) {
    case LC_AGENT_ANSWERED: return LC_EXIT_OK;
    case LC_AGENT_STOPPED: return LC_EXIT_STOPPED;
    case LC_AGENT_MAX_STEPS: return LC_EXIT_MAX_STEPS;
    case LC_AGENT_FAILED: break;
    }
    return LC_EXIT_ERROR;
}
