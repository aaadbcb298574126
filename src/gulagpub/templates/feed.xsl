<?xml version="1.0" encoding="UTF-8"?>
<!-- What a person sees who opens one of the site's Atom or RSS feeds in a
     browser: what a feed is, how to subscribe, and the feed's latest entries.
     Feed readers ignore it. The words are in the feed's language where this
     file has them (en, es, ru, fr, de), else in English. Rendered by gulagpub
     with the site's values ({{ '{{ … }}' }}); a template of the same name in
     the repository's templates/ replaces it. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom" exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="lang" select="substring(concat(/atom:feed/@xml:lang, /rss/channel/language, 'en'), 1, 2)"/>
  <xsl:variable name="what">
    <xsl:choose>
      <xsl:when test="$lang='es'">Este es un canal web (feed)</xsl:when>
      <xsl:when test="$lang='ru'">Это веб-канал (лента)</xsl:when>
      <xsl:when test="$lang='fr'">Ceci est un flux web</xsl:when>
      <xsl:when test="$lang='de'">Dies ist ein Web-Feed</xsl:when>
      <xsl:otherwise>This is a web feed</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="how">
    <xsl:choose>
      <xsl:when test="$lang='es'">Copie la dirección de esta página en un lector de feeds (como Thunderbird, NetNewsWire, Feeder o Inoreader) para recibir cada nuevo documento. El canal contiene el texto completo de cada documento; esta página solo muestra los títulos más recientes.</xsl:when>
      <xsl:when test="$lang='ru'">Скопируйте адрес этой страницы в программу для чтения лент (например, Thunderbird, NetNewsWire, Feeder или Inoreader), чтобы узнавать о каждом новом документе. Лента содержит полный текст каждого документа; здесь показаны только последние заголовки.</xsl:when>
      <xsl:when test="$lang='fr'">Copiez l’adresse de cette page dans un lecteur de flux (comme Thunderbird, NetNewsWire, Feeder ou Inoreader) pour être averti de chaque nouveau document. Le flux contient le texte intégral de chaque document ; cette page n’en montre que les derniers titres.</xsl:when>
      <xsl:when test="$lang='de'">Kopieren Sie die Adresse dieser Seite in einen Feedreader (etwa Thunderbird, NetNewsWire, Feeder oder Inoreader), um von jedem neuen Dokument zu erfahren. Der Feed enthält den vollständigen Text jedes Dokuments; diese Seite zeigt nur die neuesten Titel.</xsl:when>
      <xsl:otherwise>Copy the address of this page into a feed reader (such as Thunderbird, NetNewsWire, Feeder or Inoreader) to be told of every new document. A feed holds the whole text of each document; this page shows only the latest titles.</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="site">
    <xsl:choose>
      <xsl:when test="$lang='es'">Visitar el sitio</xsl:when>
      <xsl:when test="$lang='ru'">Перейти на сайт</xsl:when>
      <xsl:when test="$lang='fr'">Aller sur le site</xsl:when>
      <xsl:when test="$lang='de'">Zur Website</xsl:when>
      <xsl:otherwise>Visit the site</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="latest">
    <xsl:choose>
      <xsl:when test="$lang='es'">Últimas entradas</xsl:when>
      <xsl:when test="$lang='ru'">Последние записи</xsl:when>
      <xsl:when test="$lang='fr'">Dernières entrées</xsl:when>
      <xsl:when test="$lang='de'">Neueste Einträge</xsl:when>
      <xsl:otherwise>Latest entries</xsl:otherwise>
    </xsl:choose>
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
