/* The embedded files by URL (embed.S holds their bytes). */
#include "web-internal.h"

#include <string.h>

#define DECLARE(sym) extern const unsigned char sym[], sym##_end[]
DECLARE (web_index_html);
DECLARE (web_lab_html);
DECLARE (web_app_js);
DECLARE (web_app_css);
DECLARE (web_favicon_svg);

static const struct web_asset assets[] = {
  { "/index.html", "text/html; charset=utf-8", web_index_html, 0 },
  { "/lab.html", "text/html; charset=utf-8", web_lab_html, 0 },
  { "/app.js", "text/javascript; charset=utf-8", web_app_js, 0 },
  { "/app.css", "text/css; charset=utf-8", web_app_css, 0 },
  { "/favicon.svg", "image/svg+xml", web_favicon_svg, 0 },
};
static const unsigned char *const ends[] = { web_index_html_end, web_lab_html_end, web_app_js_end,
                                             web_app_css_end, web_favicon_svg_end };

bool
web_asset_find (const char *path, struct web_asset *out)
{
  for (size_t i = 0; i < sizeof (assets) / sizeof (assets[0]); i++)
    if (strcmp (assets[i].path, path) == 0)
      {
        /* the length is the distance to the end mark, known at link time */
        *out = assets[i];
        out->len = (size_t) (ends[i] - assets[i].data);
        return true;
      }
  return false;
}
