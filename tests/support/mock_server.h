/* mock_server: a real HTTP server on 127.0.0.1 for provider tests. It plays
 * scripted responses in order, one per request, from a fixture file in
 * tests/fixtures/llm/ or from a string, and records every request.
 *
 * Script format (one directive per line; every other line is a body line,
 * sent followed by "\n", or "\r\n" while @crlf is on):
 *   @response CODE        starts a response (status line "HTTP/1.1 CODE");
 *                         CODE 0 closes the connection without answering
 *   @header Name: value   a response header
 *   @body                 the body lines follow (optional, for readability)
 *   @crlf on|off          line ends of the following body lines
 *   @raw TEXT             TEXT without a line end; \r \n \\ are escapes
 *   @flush                send what is pending as its own chunk
 *   @delay MS             flush, then wait MS milliseconds
 *   @stall MS             flush, then send nothing for MS milliseconds
 *   @# ...                a comment
 * The body ends when the server closes the connection (no Content-Length),
 * so a script that stops early is a cut stream. Requests past the last
 * response get a 500 that says the script ran out. */
#ifndef LC_MOCK_SERVER_H
#define LC_MOCK_SERVER_H

#include <stddef.h>

typedef struct mock_server mock_server;

/* Loads tests/fixtures/llm/<fixture> and starts serving on a free port.
 * Returns 0, or -1 with a message on stderr. */
int mock_server_start(const char *fixture, mock_server **out);
/* The same from a script in memory. */
int mock_server_start_script(const char *script, mock_server **out);
/* "http://127.0.0.1:PORT" */
const char *mock_server_url(const mock_server *m);
/* How many requests arrived so far. */
size_t mock_server_nrequests(mock_server *m);
/* A copy of request i: the head (request line and headers, as sent) and
 * the body. Caller frees both; NULL when there is no such request. */
char *mock_server_request_head(mock_server *m, size_t i);
char *mock_server_request_body(mock_server *m, size_t i);
/* Stops the thread, closes the sockets, frees. */
void mock_server_stop(mock_server *m);

#endif
