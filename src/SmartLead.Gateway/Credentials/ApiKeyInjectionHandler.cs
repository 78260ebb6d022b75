using System.IO.Compression;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Forwarding;

namespace SmartLead.Gateway.Credentials;

/// <summary>
/// The innermost handler of the forwarder's chain, just above the sockets: puts the SmartLead key on the URL of each
/// attempt, first in the query. Nothing outside this handler ever sees a URL with the key: YARP has logged its
/// destination, the retry and the budget have made their decisions, and the request object is not logged after
/// this point, so log redaction is the second line of defence, not the first. Each attempt reads the key in force
/// (a retry after a rotation uses the new key) and records it in <see cref="RequestKeys"/>, so the answer is
/// scrubbed of exactly the keys sent.
/// On the way back, an answer SmartLead compressed despite being asked for <c>identity</c> is decoded (gzip,
/// deflate, br): compressed bytes cannot be scanned for the key they might echo. Other codings are refused later,
/// by the response transform.
/// </summary>
internal sealed class ApiKeyInjectionHandler(ApiKeyStore keys) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var key = keys.Current
            ?? throw new GatewayRejectedException(StatusCodes.Status503ServiceUnavailable, GatewayError.UpstreamUnavailable,
                "The gateway has no SmartLead key loaded; set SmartLead:ApiKey or SmartLead:ApiKeyFile.");
        var withoutKey = request.RequestUri!;
        if (ForwardedFeatures.Get<RequestKeys>(request) is { } requestKeys)
        {
            requestKeys.Sent(key);
        }

        request.RequestUri = WithKey(withoutKey, key);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        finally
        {
            // A retry re-sends this request object: it must leave here as it came, and no exception or log line
            // further out may find the key on it.
            request.RequestUri = withoutKey;
        }

        Decompress(response);
        return response;
    }

    /// <summary>The URL with the key first in its query; path and the rest of the query exactly as they were.</summary>
    internal static Uri WithKey(Uri uri, string key)
    {
        var text = uri.AbsoluteUri.AsSpan();
        if (text.IndexOf('#') is var fragment and >= 0)
        {
            text = text[..fragment];
        }

        var queryStart = text.IndexOf('?');
        var beforeQuery = queryStart < 0 ? text : text[..queryStart];
        var rest = queryStart < 0 ? [] : text[(queryStart + 1)..];
        var keyParameter = EscapedKeyParameter(key);

        // One string and one parse per attempt: this runs on every request.
        var withKey = string.Concat(beforeQuery, keyParameter, rest.IsEmpty ? [] : "&", rest);
        return new Uri(withKey, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
    }

    /// <summary><c>?api_key=</c> and the escaped key, kept for the key in force (it changes only on rotation).</summary>
    private static string EscapedKeyParameter(string key)
    {
        var cached = s_keyParameter;
        if (cached is not null && ReferenceEquals(cached.Key, key))
        {
            return cached.Parameter;
        }

        var parameter = ApiKeyQuery.WithKeyFirst(null, key);
        s_keyParameter = new KeyParameter(key, parameter);
        return parameter;
    }

    private static KeyParameter? s_keyParameter;

    private sealed record KeyParameter(string Key, string Parameter);

    /// <summary>
    /// The codings an answer's body still carries: content codings, and transfer codings other than the chunked
    /// framing HttpClient has already removed (<c>Transfer-Encoding: gzip, chunked</c> leaves gzip bytes behind).
    /// </summary>
    internal static List<string> Codings(HttpResponseMessage response) =>
        // Asked twice per answer (here and by the response transform); nearly every answer carries no coding at all.
        response.Content.Headers.NonValidated.Contains("Content-Encoding") || response.Headers.NonValidated.Contains("Transfer-Encoding")
            ? AllCodings(response)
            : [];

    private static List<string> AllCodings(HttpResponseMessage response) =>
    [
        .. response.Content.Headers.ContentEncoding
            .Concat(response.Headers.TransferEncoding.Select(t => t.Value))
            .Select(c => c.Trim().ToLowerInvariant())
            .Where(c => c is not ("identity" or "chunked" or "")),
    ];

    private static void Decompress(HttpResponseMessage response)
    {
        var codings = Codings(response);
        if (codings.Count != 1)
        {
            return;
        }

        Func<Stream, Stream>? decoder = codings[0] switch
        {
            "gzip" or "x-gzip" => s => new GZipStream(s, CompressionMode.Decompress),
            "deflate" => s => new ZLibStream(s, CompressionMode.Decompress),
            "br" => s => new BrotliStream(s, CompressionMode.Decompress),
            _ => null,
        };
        if (decoder is null)
        {
            return;
        }

        response.Headers.TransferEncoding.Clear();
        var original = response.Content;
        var decoded = new StreamContent(new DecodingStream(original, decoder));
        foreach (var (name, values) in original.Headers)
        {
            if (!name.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase)
                && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                && !name.Equals("Content-MD5", StringComparison.OrdinalIgnoreCase))
            {
                decoded.Headers.TryAddWithoutValidation(name, values);
            }
        }

        response.Content = decoded;
    }

    /// <summary>Opens the upstream body only when the forwarder reads it, and disposes it with the decoder.</summary>
    private sealed class DecodingStream(HttpContent original, Func<Stream, Stream> decoder) : Stream
    {
        private Stream? _decoded;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _decoded ??= decoder(await original.ReadAsStreamAsync(cancellationToken));
            try
            {
                return await _decoded.ReadAsync(buffer, cancellationToken);
            }
            catch (InvalidDataException ex)
            {
                // A body that does not decode is a broken upstream answer, as a reset connection would be.
                throw new IOException("SmartLead's compressed answer could not be decoded.", ex);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _decoded?.Dispose();
                original.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
