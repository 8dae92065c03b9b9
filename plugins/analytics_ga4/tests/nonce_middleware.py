"""Stands in for a CSP middleware in the page tag tests: a per-request nonce, as
django-csp gives it (``request.csp_nonce``), and the header that allows it."""

import secrets


class NonceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        response["Content-Security-Policy"] = f"script-src 'self' 'nonce-{request.csp_nonce}'"
        return response
