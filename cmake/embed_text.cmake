# embed_text.cmake — cmake -DIN=file -DOUT=file.c -DNAME=symbol -P embed_text.cmake
# Writes OUT: `const char NAME[]` holding IN's bytes and a terminating NUL, and `const size_t
# NAME_len` (the byte count, NUL excluded).  Used for src/compile/mapforge_runtime.py, which the
# PySpark back end emits verbatim beside every job.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}" "/* generated from ${IN} by cmake/embed_text.cmake: do not edit */\n#include <stddef.h>\n"
     "const char ${NAME}[] = {\n${bytes}0x00};\nconst size_t ${NAME}_len = ${len};\n")
