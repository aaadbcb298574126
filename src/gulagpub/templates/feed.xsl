<?xml version="1.0" encoding="UTF-8"?>
<!-- What a person sees who opens one of the site's Atom or RSS feeds in a
     browser: what a feed is, how to subscribe, and the feed's latest entries.
     Feed readers ignore it. The words are in the feed's language where the
     interface has a catalog for it (docs/translating.md), else in English:
     gulagpub renders this file with every catalog's words (`languages`, each
     with its two-letter `code`; `english`) and the site's path (`root`); a
     template of the same name in the repository's templates/ replaces it. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom" exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="lang" select="substring(concat(/atom:feed/@xml:lang, /rss/channel/language, 'en'), 1, 2)"/>
{%- macro choose(key) %}
    <xsl:choose>
    {%- for w in languages %}
      <xsl:when test="$lang='{{ w.code }}'">{{ w[key] }}</xsl:when>
    {%- endfor %}
      <xsl:otherwise>{{ english[key] }}</xsl:otherwise>
    </xsl:choose>
{%- endmacro %}
  <xsl:variable name="what">{{ choose("what") }}
  </xsl:variable>
  <xsl:variable name="how">{{ choose("how") }}
  </xsl:variable>
  <xsl:variable name="site">{{ choose("site") }}
  </xsl:variable>
  <xsl:variable name="latest">{{ choose("latest") }}
  </xsl:variable>

  <xsl:template match="/">
    <xsl:variable name="title" select="/atom:feed/atom:title | /rss/channel/title"/>
    <xsl:variable name="home" select="/atom:feed/atom:link[@rel='alternate']/@href | /rss/channel/link"/>
    <html lang="{$lang}">
      <head>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/> – <xsl:value-of select="$what"/></title>
        <link rel="stylesheet" href="{{ root }}style.css"/>
      </head>
      <body>
        <main id="main">
          <p class="feed-note"><strong><xsl:value-of select="$what"/>.</strong><xsl:text> </xsl:text>
            <xsl:value-of select="$how"/></p>
          <h1><xsl:value-of select="$title"/></h1>
          <p><xsl:value-of select="/atom:feed/atom:subtitle | /rss/channel/description"/></p>
          <p><a href="{$home}"><xsl:value-of select="$site"/></a></p>
          <h2><xsl:value-of select="$latest"/></h2>
          <ol class="posts">
            <xsl:for-each select="/atom:feed/atom:entry | /rss/channel/item">
              <li>
                <a href="{atom:link[not(@rel) or @rel='alternate']/@href | link}"><xsl:value-of select="atom:title | title"/></a>
                <xsl:text> </xsl:text>
                <small><xsl:value-of select="substring(atom:published, 1, 10)"/><xsl:value-of select="pubDate"/></small>
              </li>
            </xsl:for-each>
          </ol>
        </main>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
