/* SSE parsing throughput beside a plain memchr line scan of the same bytes,
 * fed in 16 KiB pieces the way libcurl hands them over. The stream looks
 * like a real OpenAI one: content deltas, a keep-alive comment now and
 * then, CRLF in part of it. Prints the median of several runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

#define RUNS 15
#define PIECE 16384
#define TARGET_BYTES (32u << 20)

typedef struct counts {
    size_t events;
    size_t bytes;
} counts;

static int count_event(void *ctx, const lc_sse_event *ev)
{
    counts *c = ctx;
    c->events++;
    c->bytes += ev->len;
    return LC_OK;
}

static void make_stream(lc_buf *b)
{
    static const char *words[] = {"def", " main", "(", "):", "\\n", "    ", "print", "(\\\"",
                                  "hello", " world", "\\\")", " # a", " comment", " with",
                                  " \\u00e9t\\u00e9"};
    size_t i = 0;
    while (b->len < TARGET_BYTES) {
        const char *eol = (i / 1000) % 2 ? "\r\n" : "\n";
        if (i % 50 == 0)
            lc_buf_printf(b, ": keep-alive%s%s", eol, eol);
        lc_buf_printf(b,
                      "data: {\"id\":\"chatcmpl-9xYz\",\"object\":\"chat.completion.chunk\","
                      "\"created\":1700000000,\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{"
                      "\"index\":0,\"delta\":{\"content\":\"%s\"},\"logprobs\":null,"
                      "\"finish_reason\":null}]}%s%s",
                      words[i % (sizeof words / sizeof words[0])], eol, eol);
        i++;
    }
    lc_buf_puts(b, "data: [DONE]\n\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

int main(void)
{
    lc_buf stream = LC_BUF_INIT;
    make_stream(&stream);
    double mb = (double)stream.len / 1e6; /* MB, as the figure says */
    double sse[RUNS], plain[RUNS];
    size_t events = 0, lines = 0;

    for (int r = 0; r < RUNS; r++) {
        counts c = {0, 0};
        double t0 = lc_now_s();
        lc_sse *p = lc_sse_new(1 << 20, count_event, &c);
        for (size_t off = 0; off < stream.len; off += PIECE) {
            size_t n = stream.len - off < PIECE ? stream.len - off : PIECE;
            if (lc_sse_feed(p, stream.data + off, n) != LC_OK) {
                fprintf(stderr, "bench_sse: the parser failed\n");
                return 1;
            }
        }
        lc_sse_finish(p);
        lc_sse_free(p);
        sse[r] = mb / (lc_now_s() - t0);
        events = c.events;

        /* Baseline: find every line end in the same pieces, nothing else. */
        size_t nl = 0;
        t0 = lc_now_s();
        for (size_t off = 0; off < stream.len; off += PIECE) {
            size_t n = stream.len - off < PIECE ? stream.len - off : PIECE;
            const char *s = stream.data + off, *end = s + n;
            while ((s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
                nl++;
                s++;
            }
        }
        plain[r] = mb / (lc_now_s() - t0);
        lines = nl;
    }
    double s_med = median(sse, RUNS), p_med = median(plain, RUNS);
    printf("# %.1f MB, %zu events, %zu lines, %d runs, median\n", mb, events, lines, RUNS);
    printf("figure: agent.sse_parse %.0f MB/s\n", s_med);
    printf("figure: agent.plain_read %.0f MB/s\n", p_med);
    printf("figure: agent.sse_parse_vs_plain %.2f ratio\n", s_med / p_med);
    lc_buf_free(&stream);
    return 0;
}
