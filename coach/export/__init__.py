"""Stage 4, the file sink: a session mixed into an audio file, with chapters and a transcript."""
