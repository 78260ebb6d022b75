using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Errors;

public sealed class GatewayErrorTests
{
    [Fact]
    public async Task WriteAsync_Envelope_CarriesTheMessageAtTopLevelToo()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();

        await GatewayError.WriteAsync(context, 400, GatewayError.ValidationError, "lead_list[1].email is required", new { field = "lead_list[1].email" });

        Assert.Equal(400, context.Response.StatusCode);
        Assert.Equal("application/json", context.Response.ContentType);
        context.Response.Body.Position = 0;
        using var json = await JsonDocument.ParseAsync(context.Response.Body);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("VALIDATION_ERROR", error.GetProperty("code").GetString());
        Assert.Equal("lead_list[1].email is required", error.GetProperty("message").GetString());
        Assert.Equal("lead_list[1].email", error.GetProperty("details").GetProperty("field").GetString());
        Assert.Equal("lead_list[1].email is required", json.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public void ToUtf8Bytes_NoDetails_LeavesDetailsOut()
    {
        using var json = JsonDocument.Parse(GatewayError.ToUtf8Bytes(GatewayError.NotFound, "No such endpoint"));

        Assert.False(json.RootElement.GetProperty("error").TryGetProperty("details", out _));
        Assert.Equal("No such endpoint", json.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Gateway_UnknownPath_AnswersWhatABodyMessageOrBodyErrorClientCanShow()
    {
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl());
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/admin", UriKind.Relative));

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("message").ValueKind);
        Assert.Contains("/admin", json.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
