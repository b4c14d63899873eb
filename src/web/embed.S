/* labo web's files (src/web/assets/), embedded at build time: the server
 * serves these and nothing else (assets.c lists them by URL). */
#define ASSET(sym, file)          \
        .global sym;              \
        .type sym, @object;       \
sym:    .incbin file;             \
        .global sym##_end;        \
sym##_end: .byte 0

        .section .rodata
ASSET(web_index_html, "src/web/assets/index.html")
ASSET(web_lab_html, "src/web/assets/lab.html")
ASSET(web_app_js, "src/web/assets/app.js")
ASSET(web_app_css, "src/web/assets/app.css")
ASSET(web_favicon_svg, "src/web/assets/favicon.svg")
        .section .note.GNU-stack,"",@progbits
