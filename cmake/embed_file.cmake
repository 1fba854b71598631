# Writes OUT: a C++ file holding IN's text as a raw string constant named NAME_source.
file(READ ${IN} content)
set(delim "EFAAS_EMBED")
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\nextern const char* const ${NAME}_source;\nconst char* const ${NAME}_source = R\"${delim}(${content})${delim}\";\n")
