"""Briefings (简报) written from the indicator functions: sections, narrative templates, the
xlsx and docx writers, numbering, schedules and the job that writes them."""
