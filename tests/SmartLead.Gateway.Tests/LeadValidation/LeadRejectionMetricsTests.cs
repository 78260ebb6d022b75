using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Telemetry;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.LeadValidation;

public sealed class LeadRejectionMetricsTests
{
    [Fact]
    public async Task LeadImport_Refused_CountsOneRejectionByReason()
    {
        await using var harness = await ProxyHarness.StartAsync(maxBodyBytes: 2048);
        using var metrics = new MetricsCapture(harness.App.Services.GetRequiredService<GatewayMetrics>().Meter);

        using var badEmail = await harness.Client.PostAsync(
            new Uri("/api/v1/campaigns/1/leads", UriKind.Relative),
            new StringContent("""{"lead_list":[{"email":"not an address"}]}""", Encoding.UTF8, "application/json"));
        using var tooLarge = await harness.Client.PostAsync(
            new Uri("/api/v1/campaigns/1/leads", UriKind.Relative), new ByteArrayContent(new byte[4096]));
        using var valid = await harness.Client.PostAsync(
            new Uri("/api/v1/campaigns/1/leads", UriKind.Relative),
            new StringContent("""{"lead_list":[{"email":"a@example.com"}]}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, badEmail.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal(["reason=format", "reason=payload_too_large"], metrics.Of("smartlead_gateway.lead.rejections"));
    }
}
