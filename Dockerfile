# syntax=docker/dockerfile:1
# Build: the same publish command CI runs (.ci/run), so CI keeps this file honest without a Docker engine.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props SmartLead.Gateway.sln appsettings.json ./
COPY src/ src/
COPY config/ config/
RUN dotnet publish src/SmartLead.Gateway/SmartLead.Gateway.csproj -c Release -o /app/publish

# Run: ASP.NET runtime only, as the image's non-root user, on port 8080.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app/publish .
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_ENVIRONMENT=Production \
    GATEWAY_CONFIG_DIR=/app/config
# The key: SmartLead__ApiKey in the environment, or a mounted file named by SmartLead__ApiKeyFile
# (e.g. -v /secure/smartlead.key:/run/secrets/smartlead.key:ro -e SmartLead__ApiKeyFile=/run/secrets/smartlead.key).
# Ops overrides: mount a directory of *.json files over /app/config.
USER $APP_UID
EXPOSE 8080
ENTRYPOINT ["dotnet", "SmartLead.Gateway.dll"]
