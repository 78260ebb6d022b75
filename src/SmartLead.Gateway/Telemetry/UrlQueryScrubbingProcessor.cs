using System.Diagnostics;
using OpenTelemetry;

namespace SmartLead.Gateway.Telemetry;

/// <summary>
/// Drops every query string from the spans before any exporter sees them. The outgoing URL carries the SmartLead key
/// and an incoming one may carry a client's key or an email; the instrumentations redact query values by default,
/// but a default can be switched off by an environment variable, so the gateway does not rely on it.
/// </summary>
internal sealed class UrlQueryScrubbingProcessor : BaseProcessor<Activity>
{
    private static readonly string[] UrlTags = ["url.full", "http.url", "http.target"];

    public override void OnEnd(Activity data)
    {
        foreach (var tag in UrlTags)
        {
            if (data.GetTagItem(tag) is string url && url.IndexOf('?', StringComparison.Ordinal) is var query and >= 0)
            {
                data.SetTag(tag, url[..query]);
            }
        }

        if (data.GetTagItem("url.query") is not null)
        {
            data.SetTag("url.query", null);
        }
    }
}
