"""What the public sees of the evaluation: published reports and their figures, published
case studies, each collaboration project's public page, and the sections it adds to the
public issue page and the home page."""
