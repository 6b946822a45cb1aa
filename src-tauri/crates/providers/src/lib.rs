//! HTTP clients for image providers with one error taxonomy. No retries inside.
