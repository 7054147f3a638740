"""Turn an imported text into an :class:`~kb.ingest.plan.ImportPlan`.

The pipeline is plain functions over ``str`` and never touches the database:

* :mod:`kb.ingest.decode` - bytes to text (encoding detection, size and binary checks);
* :mod:`kb.ingest.frontmatter` - the optional ``---`` metadata block and its validation;
* :mod:`kb.ingest.passages` - lines, paragraphs and passages (offsets into the text);
* :mod:`kb.ingest.speakers` - turn labels (``Q:``, ``lei jun:``), people, question/answer roles;
* :mod:`kb.ingest.boilerplate` - page chrome and page metadata lines;
* :mod:`kb.ingest.mentions` - who the narration names, per source (pronouns, surnames, roles);
* :mod:`kb.ingest.quotes` - attributed quotations, interview answers and speeches as quotes;
* :mod:`kb.ingest.pipeline` - :func:`plan_import` / :func:`plan_from_bytes`, tying it together;
* :mod:`kb.ingest.evaluate` - the pipeline scored on gold standards (``make eval-import``).
"""
