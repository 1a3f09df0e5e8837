"""certprep: practice exams and spaced repetition for medical coding certifications."""

__version__ = "0.1.0"
