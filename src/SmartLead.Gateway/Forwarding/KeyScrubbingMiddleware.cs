using SmartLead.Gateway.Credentials;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// Runs in YARP's proxy pipeline: SmartLead's answer reaches the client through a <see cref="KeyScrubbingStream"/>
/// that overwrites the keys the request's attempts carried, the key in force, and any value this client sent as a
/// key (<see cref="RequestKeys"/>). SmartLead is asked for an uncompressed answer (compressed bytes cannot be
/// scanned; one that comes back compressed anyway is decoded or refused); on loopback between gateway and clients
/// that costs little.
/// </summary>
internal sealed class KeyScrubbingMiddleware(RequestDelegate next, ApiKeyStore store)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var keys = new RequestKeys(store, ApiKeyQuery.ClientValues(context.Request.QueryString.Value));
        context.Features.Set(keys);
        var original = context.Response.Body;
        var scrubber = new KeyScrubbingStream(original, keys);
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
}
