/* The trust question (lc_trust_ask): the file is shown, only a yes trusts
 * it, and what is trusted is the file as shown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "engine_support.h"

static int ask(const char *proj, const char *answer, char **shown, lc_err *err)
{
    FILE *in = fmemopen((void *)answer, strlen(answer) + 1, "r");
    size_t len = 0;
    FILE *out = open_memstream(shown, &len);
    char hash[LC_SHA256_HEX_LEN + 1] = "";
    int rc = lc_trust_ask(proj, false, in, out, hash, err);
    fclose(out);
    fclose(in);
    return rc;
}

static void test_trust_ask(void **state)
{
    (void)state;
    char *st = lc_test_tmpdir("trust-state");
    char *proj = lc_test_tmpdir("trust-proj");
    setenv("XDG_STATE_HOME", st, 1);
    lc_test_write(proj, ".litecode.yaml", "container:\n  memory: 512m\n");
    lc_err err = {0};
    char *shown = NULL;

    /* No, or no answer at all: not trusted. */
    assert_int_equal(ask(proj, "n\n", &shown, &err), LC_ECANCEL);
    assert_non_null(strstr(shown, "memory"));
    assert_non_null(strstr(shown, "[y/N]"));
    free(shown);
    assert_int_equal(ask(proj, "", &shown, &err), LC_ECANCEL);
    free(shown);
    assert_false(lc_trust_is_trusted(proj));

    /* Yes: trusted as shown. */
    assert_int_equal(ask(proj, "y\n", &shown, &err), LC_OK);
    free(shown);
    assert_true(lc_trust_is_trusted(proj));
    /* Changed since: not the file that was trusted. */
    lc_test_write(proj, ".litecode.yaml", "container:\n  memory: 2g\n");
    assert_false(lc_trust_is_trusted(proj));
    unsetenv("XDG_STATE_HOME");
    lc_rm_rf(st, &err);
    lc_rm_rf(proj, &err);
    free(st);
    free(proj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trust_ask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
