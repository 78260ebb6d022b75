using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Forwarding;

/// <summary>
/// A hostile stand-in SmartLead on loopback that echoes the request's key in every form a real server produces
/// (as is, upper case, percent-encoded in either case, JSON-escaped, truncated, in header names and values and in the
/// reason phrase), streams, and compresses; the gateway runs on real Kestrel. Every header name and value, the reason
/// phrase and every body byte the client gets are searched for both keys (the gateway's, a client's) in every form.
/// </summary>
public sealed class HostileUpstreamTests : IAsyncLifetime
{
    private const string ClientKey = "client-own-key-5512ab";
    private readonly TaskCompletionSource _releaseStream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ScriptedUpstream _upstream = null!;
    private GatewayFactory _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _upstream = await ScriptedUpstream.StartAsync((_, context) => Answer(context));
        _gateway = new GatewayFactory(_upstream.Url);
        var port = Upstream.FreePort();
        _gateway.UseKestrel(port);
        _gateway.StartServer();
        _client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public async Task DisposeAsync()
    {
        _releaseStream.TrySetResult();
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Theory]
    [InlineData("/api/v1/echo")]
    [InlineData("/api/v1/echo-json")]
    [InlineData("/api/v1/echo-headers")]
    [InlineData("/api/v1/echo-truncated")]
    public async Task Echo_EveryForm_NoKeyReachesTheClient(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{path}?api_key={ClientKey}&pad=" + new string('x', 40));
        request.Headers.Add("X-Note", ClientKey);
        using var response = await _client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body.Length > 100, "the upstream echoed nothing, so this proves nothing");
        Assert.Contains("api_key=", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        AssertNoKeyIn(response, body);
    }

    [Fact]
    public async Task Echo_KeyFirstInTheQuery_AheadOfWhatTheClientPads()
    {
        using var response = await _client.GetAsync(new Uri("/api/v1/query?a=1&" + new string('p', 300), UriKind.Relative));

        var query = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("?api_key=", query, StringComparison.Ordinal);
        Assert.EndsWith("&a=1&" + new string('p', 300), query, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("?a=1#api_key=evil-value", "?api_key=KEY")]
    [InlineData("?a=1&b=2#frag", "?api_key=KEY&a=1&b=2%23frag")]
    [InlineData("??api_key=evil-value&a=1", "?api_key=KEY&a=1")]
    [InlineData("?a=1;api_key=evil-value&b=2", "?api_key=KEY&b=2")]
    [InlineData("?api.key=evil-value&b=2", "?api_key=KEY&b=2")]
    public async Task RawQuery_ParsesTwoWays_SmartLeadGetsOnlyTheGatewaysKeyFirst(string query, string expected)
    {
        var answer = await RawAsync($"GET /api/v1/query{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
        Assert.Equal(expected, Body(answer));
        Assert.DoesNotContain("evil-value", answer, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task Compressed_KnownCoding_DecodedAndScrubbed(string coding)
    {
        using var response = await _client.GetAsync(new Uri($"/api/v1/compressed/{coding}?api_key={ClientKey}", UriKind.Relative));
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.StartsWith("compressed echo: ?api_key=***", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        AssertNoKeyIn(response, body);
    }

    [Fact]
    public async Task Compressed_UnknownCoding_Refused502InTheEnvelope()
    {
        using var response = await _client.GetAsync(new Uri($"/api/v1/compressed/zstd?api_key={ClientKey}", UriKind.Relative));
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("\"code\":\"UPSTREAM_UNAVAILABLE\"", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        AssertNoKeyIn(response, body);
    }

    [Fact]
    public async Task EventStream_SmallEvents_FirstEventArrivesWhileUpstreamStillHoldsTheStream()
    {
        using var response = await _client.GetAsync(new Uri("/api/v1/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();

        // The upstream writes one short event, flushes, and waits for this test: had the gateway held the event back
        // until more bytes came, this read would wait for the upstream's own 20 s give-up.
        var first = await ReadAtLeastAsync(stream, "data: 1\n\n".Length, TimeSpan.FromSeconds(15));
        Assert.Equal("data: 1\n\n", first);
        Assert.False(_releaseStream.Task.IsCompleted);

        _releaseStream.TrySetResult();
        var rest = await new StreamReader(stream).ReadToEndAsync();
        Assert.Equal("data: 2\n\ndata: 3\n\n", rest);
    }

    [Fact]
    public async Task Range_FromTheClient_NeverReachesSmartLead()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/range");
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 9);
        request.Headers.TryAddWithoutValidation("If-Range", "\"etag\"");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("range=;if-range=", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("h2c")]
    [InlineData("anything/1.0")]
    public async Task Upgrade_AnyProtocol_Refused400InTheEnvelopeAndNotForwarded(string protocol)
    {
        var before = _upstream.RequestCount;

        var answer = await RawAsync($"GET /api/v1/echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: {protocol}\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"VALIDATION_ERROR\"", answer, StringComparison.Ordinal);
        Assert.Equal(before, _upstream.RequestCount);
    }

    [Theory]
    [InlineData("CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n")]
    [InlineData("CONNECT server.smartlead.ai:443 HTTP/1.1\r\nHost: server.smartlead.ai:443\r\n\r\n")]
    public async Task Connect_Refused400InTheEnvelopeAndNotForwarded(string request)
    {
        var before = _upstream.RequestCount;

        var answer = await RawAsync(request);

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"VALIDATION_ERROR\"", answer, StringComparison.Ordinal);
        Assert.Equal(before, _upstream.RequestCount);
    }

    [Fact]
    public async Task Upstream101_ToAPlainRequest_NoTunnelAndNoKey()
    {
        var (response, body) = await ThroughRawUpstreamAsync(requestLine => Encoding.ASCII.GetBytes(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\necho: " + requestLine + "\n"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("UPSTREAM_UNAVAILABLE", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        AssertNoKeyIn(response, body);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public async Task TransferCoding_OtherThanChunked_DecodedAndScrubbed(string coding)
    {
        var (response, body) = await ThroughRawUpstreamAsync(requestLine =>
        {
            var compressed = Compress(coding, Encoding.ASCII.GetBytes("echo: " + requestLine));
            var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nTransfer-Encoding: {coding}, chunked\r\nConnection: close\r\n\r\n{compressed.Length:X}\r\n");
            return [.. head, .. compressed, .. "\r\n0\r\n\r\n"u8.ToArray()];
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("echo: GET /api/v1/campaigns?api_key=***", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        AssertNoKeyIn(response, body);
    }

    /// <summary>The gateway in front of a raw TCP upstream that answers one request with <paramref name="answer"/>.</summary>
    private static async Task<(HttpResponseMessage Response, byte[] Body)> ThroughRawUpstreamAsync(Func<string, byte[]> answer)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var upstream = await listener.AcceptTcpClientAsync();
            await using var stream = upstream.GetStream();
            var buffer = new byte[8192];
            var read = await stream.ReadAsync(buffer);
            await stream.WriteAsync(answer(Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0]));
            await stream.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(1));
        });
        await using var gateway = new GatewayFactory($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        var port = Upstream.FreePort();
        gateway.UseKestrel(port);
        gateway.StartServer();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(20) };

        var response = await client.GetAsync(new Uri("/api/v1/campaigns", UriKind.Relative));
        var body = await response.Content.ReadAsByteArrayAsync();
        await serving;
        return (response, body);
    }

    [Fact]
    public async Task RequestLine_OverTheLimit_Answers414InTheEnvelope()
    {
        var answer = await RawAsync($"GET /api/v1/echo?pad={new string('x', 9000)} HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 414", answer, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"VALIDATION_ERROR\"", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_OverTheLimit_Answer431InTheEnvelope()
    {
        var headers = string.Concat(Enumerable.Range(0, 40).Select(i => $"X-Pad-{i}: {new string('y', 1000)}\r\n"));

        var answer = await RawAsync($"GET /api/v1/echo HTTP/1.1\r\nHost: x\r\n{headers}\r\n");

        Assert.StartsWith("HTTP/1.1 431", answer, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"VALIDATION_ERROR\"", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_AfterEveryKindOfHostileRequest_HoldNeitherKeyInAnyFormAtVerbose()
    {
        foreach (var path in new[] { "/api/v1/echo", "/api/v1/echo-json", "/api/v1/echo-headers", "/api/v1/echo-truncated", "/api/v1/compressed/gzip", "/api/v1/compressed/zstd" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{path}?api_key={ClientKey}&API%5Fkey={ClientKey}");
            request.Headers.Add("X-Note", ClientKey);
            using var response = await _client.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
        }

        await RawAsync($"GET /api/v1/query?a=1;api_key={ClientKey}#api_key={ClientKey} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        await RawAsync($"GET /api/v1/echo?api_key={ClientKey} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        await RawAsync($"CONNECT server.smartlead.ai:443 HTTP/1.1\r\nHost: server.smartlead.ai:443\r\nX-Q: ?api_key={ClientKey}\r\n\r\n");
        await _gateway.Logs.WaitForEventIdAsync(2001, count: 7);

        var events = _gateway.Logs.RenderedEvents().ToList();
        Assert.Contains(events, e => e.Contains("Proxying to", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Contains("Request starting", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Contains("api_key=***", StringComparison.Ordinal)); // the client's key was there, masked
        Assert.True(events.Count > 30, "the capture saw too few events to prove anything");
        foreach (var rendered in events)
        {
            JsonDocument.Parse(rendered[..rendered.IndexOf('\n', StringComparison.Ordinal)]).Dispose();
            KeyForms.AssertAbsent(rendered, GatewayFactory.TestKey, ClientKey);
        }
    }

    /// <summary>Both keys, in every form the gateway covers, absent from names, values, reason phrase and body.</summary>
    private static void AssertNoKeyIn(HttpResponseMessage response, byte[] body)
    {
        var texts = new List<string> { Encoding.UTF8.GetString(body), response.ReasonPhrase ?? "" };
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            texts.Add(name);
            texts.AddRange(values);
        }

        foreach (var text in texts)
        {
            KeyForms.AssertAbsent(text, GatewayFactory.TestKey, ClientKey);
        }
    }

    private static async Task<string> ReadAtLeastAsync(Stream stream, int count, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, cancel.Token);
        return Encoding.UTF8.GetString(buffer);
    }

    /// <summary>The body of a raw HTTP/1.1 answer, chunked or not.</summary>
    private static string Body(string answer)
    {
        var parts = answer.Split("\r\n\r\n", 2);
        var body = parts.Length > 1 ? parts[1] : "";
        if (!parts[0].Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            return body;
        }

        var result = new StringBuilder();
        while (body.Length > 0)
        {
            var line = body.IndexOf("\r\n", StringComparison.Ordinal);
            var size = int.Parse(body[..line], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                break;
            }

            result.Append(body.AsSpan(line + 2, size));
            body = body[(line + 2 + size + 2)..];
        }

        return result.ToString();
    }

    private async Task<string> RawAsync(string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _client.BaseAddress!.Port);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[16384];
        var total = new StringBuilder();
        try
        {
            // Until the envelope has come, or the gateway closed the connection (the request asked it to).
            while (!total.ToString().Contains("}}", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, cancel.Token);
                if (read == 0)
                {
                    break;
                }

                total.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (OperationCanceledException)
        {
        }

        return total.ToString();
    }

    private async Task Answer(HttpContext context)
    {
        var query = context.Request.QueryString.Value ?? "";
        var key = QueryValue(query, "api_key");
        var note = context.Request.Headers["X-Note"].ToString();
        var path = context.Request.Path.Value ?? "";
        var response = context.Response;
        switch (path)
        {
            case "/api/v1/echo":
                response.ContentType = "text/plain";
                await response.WriteAsync(string.Join("\n",
                    "Cannot GET " + path + query,
                    "upper: " + query.ToUpperInvariant(),
                    "percent: " + KeyForms.PercentAll(key, upper: true) + " " + KeyForms.PercentAll(key, upper: false),
                    "escaped: " + Uri.EscapeDataString(query),
                    "json-all: " + KeyForms.JsonEscapeAll(key),
                    "note: " + note + " " + note.ToUpperInvariant() + " " + KeyForms.PercentAll(note, upper: false) + " " + KeyForms.JsonEscapeAll(note)));
                break;
            case "/api/v1/echo-json":
                response.ContentType = "application/json";
                await response.WriteAsync(JsonSerializer.Serialize(new { url = "https://server.smartlead.ai" + path + query, key, slashes = "a/" + key + "/b", note }));
                await response.WriteAsync(" " + KeyForms.JsonEscapeAll(key).ToUpperInvariant().Replace("\\U", "\\u", StringComparison.Ordinal));
                break;
            case "/api/v1/echo-headers":
                response.Headers["X-Echo-" + key] = "1";
                response.Headers["X-Echo"] = "seen " + query;
                response.Headers["X-Note-" + note] = KeyForms.PercentAll(note, upper: true);
                response.Headers.Location = "/api/v1/x" + query;
                context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = "OK " + key;
                await response.WriteAsync("headers carry it: api_key=" + new string('.', 100));
                break;
            case "/api/v1/echo-truncated":
                // A server that quotes the URL cut to 42 characters, in pieces, each a separate write.
                var url = "GET " + path + query;
                foreach (var cut in new[] { 30, 42, 50 })
                {
                    await response.WriteAsync("cut: " + url[..Math.Min(cut, url.Length)] + "…\n");
                }

                await response.WriteAsync("key alone, cut: " + key[..^1] + " and " + key[1..] + " api_key=" + new string('.', 80));
                break;
            case "/api/v1/query":
                await response.WriteAsync(query.Replace(key, "KEY", StringComparison.Ordinal));
                break;
            case "/api/v1/range":
                await response.WriteAsync($"range={context.Request.Headers.Range};if-range={context.Request.Headers.IfRange}");
                break;
            case "/api/v1/stream":
                response.ContentType = "text/event-stream";
                await response.WriteAsync("data: 1\n\n");
                await response.Body.FlushAsync();
                await Task.WhenAny(_releaseStream.Task, Task.Delay(TimeSpan.FromSeconds(20)));
                await response.WriteAsync("data: 2\n\n");
                await response.WriteAsync("data: 3\n\n");
                break;
            case var compressed when compressed.StartsWith("/api/v1/compressed/", StringComparison.Ordinal):
                var coding = compressed["/api/v1/compressed/".Length..];
                var plain = Encoding.UTF8.GetBytes("compressed echo: " + query + " " + KeyForms.PercentAll(key, upper: false));
                response.Headers.ContentEncoding = coding;
                await response.Body.WriteAsync(Compress(coding, plain));
                break;
            default:
                response.StatusCode = 404;
                break;
        }
    }

    private static byte[] Compress(string coding, byte[] plain)
    {
        using var output = new MemoryStream();
        using (Stream compressor = coding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "br" => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
        })
        {
            compressor.Write(plain);
        }

        return output.ToArray();
    }

    private static string QueryValue(string query, string name) =>
        query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).Where(p => p[0] == name).Select(p => Uri.UnescapeDataString(p[1])).FirstOrDefault() ?? "";

}
