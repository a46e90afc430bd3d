"""Social media package for a programme: platform limits, chapters, texts, thumbnails and the sheet."""
