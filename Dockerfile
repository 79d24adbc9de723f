# HybridBuildService: the API and the worker in one image (choose roles with Api__Enabled / Worker__Enabled).
# It drives BuildKit in process over gRPC (the native engine, the default); the docker CLI and its buildx plugin
# are carried for Engine__Provider=Buildx. Mount the engine's socket, or point Engine__Native__Address at a buildkitd.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/HybridBuild.Core/HybridBuild.Core.csproj src/HybridBuild.Core/
COPY src/HybridBuild.BuildKit.Client/HybridBuild.BuildKit.Client.csproj src/HybridBuild.BuildKit.Client/
COPY src/HybridBuild.BuildKit/HybridBuild.BuildKit.csproj src/HybridBuild.BuildKit/
COPY src/HybridBuild.Storage/HybridBuild.Storage.csproj src/HybridBuild.Storage/
COPY src/HybridBuild.Storage.S3/HybridBuild.Storage.S3.csproj src/HybridBuild.Storage.S3/
COPY src/HybridBuild.Storage.Azure/HybridBuild.Storage.Azure.csproj src/HybridBuild.Storage.Azure/
COPY src/HybridBuild.Data/HybridBuild.Data.csproj src/HybridBuild.Data/
COPY src/HybridBuild.Publishing/HybridBuild.Publishing.csproj src/HybridBuild.Publishing/
COPY src/HybridBuild.Application/HybridBuild.Application.csproj src/HybridBuild.Application/
COPY src/HybridBuild.Api/HybridBuild.Api.csproj src/HybridBuild.Api/
RUN dotnet restore src/HybridBuild.Api/HybridBuild.Api.csproj
COPY src/ src/
RUN dotnet publish src/HybridBuild.Api/HybridBuild.Api.csproj --no-restore -c Release -o /app /p:UseAppHost=false

FROM docker:cli AS docker-cli

FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=docker-cli /usr/local/bin/docker /usr/local/bin/docker
COPY --from=docker-cli /usr/local/libexec/docker/cli-plugins/docker-buildx /usr/local/libexec/docker/cli-plugins/docker-buildx
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Storage__FileSystem__Root=/var/lib/hybridbuild/blobs \
    Worker__WorkDirectory=/var/lib/hybridbuild/work
VOLUME /var/lib/hybridbuild
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s CMD curl -fsS http://localhost:8080/health/live || exit 1
ENTRYPOINT ["dotnet", "HybridBuild.Api.dll"]
