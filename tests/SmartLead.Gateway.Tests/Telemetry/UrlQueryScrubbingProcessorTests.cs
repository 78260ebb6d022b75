using System.Diagnostics;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Tests.Telemetry;

public sealed class UrlQueryScrubbingProcessorTests
{
    [Fact]
    public void OnEnd_SpanWithQueries_KeepsUrlsWithoutTheirQueryAndDropsUrlQuery()
    {
        using var activity = new Activity("test");
        activity.SetTag("url.full", "https://server.smartlead.ai/api/v1/campaigns/?api_key=sl-secret");
        activity.SetTag("http.url", "https://server.smartlead.ai/api/v1/leads/?email=ada@example.com");
        activity.SetTag("url.query", "api_key=client-key");
        activity.SetTag("url.path", "/api/v1/campaigns/");

        new UrlQueryScrubbingProcessor().OnEnd(activity);

        Assert.Equal("https://server.smartlead.ai/api/v1/campaigns/", activity.GetTagItem("url.full"));
        Assert.Equal("https://server.smartlead.ai/api/v1/leads/", activity.GetTagItem("http.url"));
        Assert.Null(activity.GetTagItem("url.query"));
        Assert.Equal("/api/v1/campaigns/", activity.GetTagItem("url.path"));
    }
}
