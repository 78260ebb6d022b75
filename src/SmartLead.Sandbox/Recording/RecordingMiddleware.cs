using Microsoft.AspNetCore.Http;

namespace SmartLead.Sandbox.Recording;

/// <summary>
/// Records each request with the status it was answered. The record is written when the response starts, i.e.
/// before the client can see any of it, so a test that has its answer always finds the matching record.
/// </summary>
internal sealed class RecordingMiddleware(RequestDelegate next, SandboxRequestLog log, TimeProvider timeProvider)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var receivedAt = timeProvider.GetUtcNow();

        request.EnableBuffering();
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        request.Body.Position = 0;

        var recorded = 0;
        void Record(int status)
        {
            if (Interlocked.Exchange(ref recorded, 1) == 0)
            {
                var apiKeys = request.Query["api_key"];
                log.Add(new SandboxRequest(
                    receivedAt,
                    request.Method,
                    request.PathBase.Add(request.Path).Value ?? "/",
                    request.QueryString.Value ?? string.Empty,
                    apiKeys.Count > 0 ? apiKeys[0] : null,
                    request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                    buffer.ToArray(),
                    status));
            }
        }

        context.Response.OnStarting(() =>
        {
            Record(context.Response.StatusCode);
            return Task.CompletedTask;
        });

        try
        {
            await next(context);
        }
        catch
        {
            // The server turns an unhandled exception into a 500; record what the client will get.
            Record(StatusCodes.Status500InternalServerError);
            throw;
        }

        Record(context.Response.StatusCode);
    }
}
