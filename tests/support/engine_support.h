/* Integration-test support: the real engine to test against, and throwaway
 * projects. LITECODE_ENGINE=docker|podman picks the engine (default: auto);
 * LITECODE_REQUIRE_ENGINE=1 turns "no engine" from a skip into a failure. */
#ifndef LC_ENGINE_SUPPORT_H
#define LC_ENGINE_SUPPORT_H

#include "config/config.h"
#include "exec/exec.h"

/* Returns an open engine, or NULL after printing why (the caller skips, or
 * fails when an engine is required: lc_test_engine_required()). */
lc_engine *lc_test_engine_open(lc_container_config *cc);
bool lc_test_engine_required(void);
/* A new temporary directory (mkdtemp); caller frees and removes it. */
char *lc_test_tmpdir(const char *tag);
/* Writes a file under dir (creating parents). */
void lc_test_write(const char *dir, const char *rel, const char *content);
/* Reads a file under dir into a new string, or NULL. */
char *lc_test_read(const char *dir, const char *rel);

#endif
