using SmartLead.Gateway.Logging;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// Runs in YARP's proxy pipeline: SmartLead's answer reaches the client through a <see cref="KeyScrubbingStream"/>
/// that overwrites the gateway's keys and any key this client sent. SmartLead is asked for an uncompressed answer
/// (<see cref="GatewayTransforms"/>: compressed bytes cannot be scanned); on loopback that costs little.
/// </summary>
internal sealed class KeyScrubbingMiddleware(RequestDelegate next, SecretRedactor redactor)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var clientKeys = ClientKeys(context.Request.QueryString.Value);
        IReadOnlyList<byte[]> patterns = clientKeys.Count == 0
            ? redactor.Utf8Forms
            : [.. redactor.Utf8Forms, .. clientKeys.SelectMany(SecretRedactor.FormsOf).Select(System.Text.Encoding.UTF8.GetBytes)];
        var original = context.Response.Body;
        var scrubber = new KeyScrubbingStream(original, patterns);
        context.Response.Body = scrubber;
        try
        {
            await next(context);
            if (!context.RequestAborted.IsCancellationRequested)
            {
                await scrubber.FinishAsync(context.RequestAborted);
            }
        }
        finally
        {
            context.Response.Body = original;
        }
    }

    private static List<string> ClientKeys(string? query)
    {
        if (string.IsNullOrEmpty(query) || !query.Contains("key", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        var keys = new List<string>();
        foreach (var segment in query.TrimStart('?').Split('&'))
        {
            if (Credentials.ApiKeyQuery.IsApiKeySegment(segment))
            {
                var equals = segment.IndexOf('=', StringComparison.Ordinal);
                var value = equals < 0 ? string.Empty : Uri.UnescapeDataString(segment[(equals + 1)..].Replace('+', ' '));
                if (value.Length >= 4)
                {
                    keys.Add(value);
                }
            }
        }

        return keys;
    }
}
