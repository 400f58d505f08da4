# Turns every DIR/*.py into a C string in one table, by file name without .py:
#   cmake -DDIR=dir -DOUT=file.c -DSYMBOL=name -P embed_dir.cmake
# gives name_names[], name_texts[] (NUL-terminated) and name_count.
file(GLOB FILES ${DIR}/*.py)
list(SORT FILES)
set(ARRAYS "")
set(NAMES "")
set(TEXTS "")
set(I 0)
foreach(F ${FILES})
  get_filename_component(STEM ${F} NAME_WE)
  file(READ ${F} HEX HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," BYTES "${HEX}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" BYTES "${BYTES}")
  string(APPEND ARRAYS "static const char file_${I}[] = { /* ${STEM}.py */\n${BYTES}0x00};\n")
  string(APPEND NAMES "    \"${STEM}\",\n")
  string(APPEND TEXTS "    file_${I},\n")
  math(EXPR I "${I} + 1")
endforeach()
file(WRITE ${OUT} "/* generated from the .py files in ${DIR}; do not edit */\n#include <stddef.h>\n"
  "extern const char *const ${SYMBOL}_names[];\nextern const char *const ${SYMBOL}_texts[];\n"
  "extern const size_t ${SYMBOL}_count;\n${ARRAYS}"
  "const char *const ${SYMBOL}_names[] = {\n${NAMES}    NULL};\n"
  "const char *const ${SYMBOL}_texts[] = {\n${TEXTS}    NULL};\n"
  "const size_t ${SYMBOL}_count = ${I};\n")
