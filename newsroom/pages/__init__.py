"""Static pages editors write in the admin (About, Contact, Privacy, Terms, Editorial policy):
the story's rich text, listed in the footer, in the sitemaps, at /info/<slug>/."""
