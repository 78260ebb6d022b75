using SmartLead.Gateway.LeadValidation;

namespace SmartLead.Gateway.Tests.LeadValidation;

public sealed class LeadImportRoutesTests
{
    [Theory]
    [InlineData("/api/v1/campaigns/42/leads", "lead_list")]
    [InlineData("/api/v1/campaigns/42/leads/", "lead_list")]
    [InlineData("/API/V1/Campaigns/42/LEADS", "lead_list")]
    [InlineData("/api/v1//campaigns/42/leads", "lead_list")]
    [InlineData("/api/v1/campaigns/abc-def/leads", "lead_list")]
    [InlineData("/api/v1/lead-list/7/import", "leadList")]
    [InlineData("/api/v1/lead-list/7/import/", "leadList")]
    [InlineData("/Api/V1/Lead-List/7/Import", "leadList")]
    public void LeadImportRoutes_ImportPath_MatchesWithItsArray(string path, string array)
    {
        Assert.True(LeadImportRoutes.TryMatch("POST", path, out var endpoint));
        Assert.Equal(array, endpoint.ArrayProperty);
    }

    [Theory]
    [InlineData("post")]
    [InlineData("Post")]
    public void LeadImportRoutes_MethodInAnyCase_Matches(string method)
    {
        Assert.True(LeadImportRoutes.TryMatch(method, "/api/v1/campaigns/1/leads", out _));
    }

    [Theory]
    [InlineData("GET", "/api/v1/campaigns/42/leads")]
    [InlineData("PUT", "/api/v1/campaigns/42/leads")]
    [InlineData("PATCH", "/api/v1/lead-list/7/import")]
    [InlineData("POST", "/api/v1/campaigns/42/leads/1001")]
    [InlineData("POST", "/api/v1/campaigns/42/leads/1001/")]
    [InlineData("POST", "/api/v1/campaigns/42")]
    [InlineData("POST", "/api/v1/campaigns/leads")]
    [InlineData("POST", "/api/v1/campaigns/42/leads-export")]
    [InlineData("POST", "/api/v2/campaigns/42/leads")]
    [InlineData("POST", "/v1/campaigns/42/leads")]
    [InlineData("POST", "/api/v1/lead-list/7")]
    [InlineData("POST", "/api/v1/lead-list/7/import/extra")]
    [InlineData("POST", "/api/v1/leads/7/import")]
    [InlineData("POST", "/")]
    [InlineData("POST", "")]
    public void LeadImportRoutes_OtherCall_DoesNotMatch(string method, string path)
    {
        Assert.False(LeadImportRoutes.TryMatch(method, path, out _));
    }
}
