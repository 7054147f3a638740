"""The benchmark server's URLs: the site's own, plus the hello-world ceiling."""

from django.urls import path

from bench.server import hello
from kb.urls import urlpatterns as site_patterns

urlpatterns = [path("bench/hello/", hello, name="bench_hello"), *site_patterns]
