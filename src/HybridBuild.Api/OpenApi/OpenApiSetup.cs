using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace HybridBuild.Api.OpenApi;

internal static class OpenApiSetup
{
    public static IServiceCollection AddHybridBuildOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "HybridBuildService",
                Version = "v1",
                Description = "Staged BuildKit builds as a service: submit a pipeline of Dockerfile targets, follow its logs, and download the files each stage exported. POST /api/v1/builds has ready-to-run examples: the 'artifactory' one builds a .NET console app for win-x64 and linux-x64 and keeps the executables; the 'wasm' one exports a .wasm module and packages it as a wasi/wasm image pushed to localhost:5000.",
            });
            // Swagger UI's Authorize button: paste an API key
            o.AddSecurityDefinition("ApiKey", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer",
                Description = "An API key (Authorization: Bearer <key>). Admins create keys with POST /api/v1/keys; the first admin key is Auth:AdminKey.",
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", document)] = [] });
            o.OperationFilter<SubmitBuildExamples>();
            o.SchemaFilter<MatrixAxes>();
            o.DocumentFilter<TagOrder>();
            o.SupportNonNullableReferenceTypes();
        });
        return services;
    }

    public static WebApplication UseHybridBuildOpenApi(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/swagger/v1/swagger.json", "HybridBuildService v1");
            o.DocumentTitle = "HybridBuildService";
            o.EnableTryItOutByDefault();
        });
        return app;
    }

    /// <summary>Builds first (where a newcomer starts), then what a build leaves: logs and artifacts.</summary>
    private sealed class TagOrder : IDocumentFilter
    {
        public void Apply(OpenApiDocument document, DocumentFilterContext context) =>
            document.Tags = new HashSet<OpenApiTag>
            {
                new() { Name = "Builds", Description = "Submit a staged build, follow it, cancel it." },
                new() { Name = "Logs", Description = "A build's log: text, followed, or Server-Sent Events." },
                new() { Name = "Artifacts", Description = "The files the stages exported: manifest, single files, archives." },
            };
    }

    /// <summary>A matrix's axes are its properties other than <c>exclude</c>, each a list of values.</summary>
    private sealed class MatrixAxes : ISchemaFilter
    {
        public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
        {
            if (context.Type != typeof(MatrixSpec) || schema is not OpenApiSchema matrix) return;
            matrix.AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } };
            matrix.Description = "Each property but exclude is an axis: a build argument and its values, e.g. {\"dotnet_runtime\": [\"win-x64\", \"linux-x64\"]}. "
                + "The stage runs once per combination as {name}-{value}[-{value}...], less the combinations holding every value of an exclude entry.";
        }
    }

    /// <summary>Ready-to-run request examples for POST /builds, and the multipart form for uploading a context.</summary>
    private sealed class SubmitBuildExamples : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            if (operation.OperationId != "SubmitBuild") return;
            var json = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(typeof(BuildSpec), context.SchemaRepository) };
            var form = new OpenApiMediaType();
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "A build spec (JSON) with a git or inline source, or a multipart form with the spec and a context archive.",
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = json, ["multipart/form-data"] = form },
            };
            {
                json.Examples = new Dictionary<string, IOpenApiExample>
                {
                    ["artifactory"] = Example("Artifactory: win-x64 and linux-x64 executables as artifacts",
                        "Two independent stages build the seed's .NET console app with --target staging and dotnet_runtime=win-x64 / linux-x64; download the executables from /artifacts.",
                        ScenarioExamples.Artifactory()),
                    ["matrix"] = Example("Matrix: the Artifactory build once per runtime, from one stage",
                        "A matrix stage expands into publish-win-x64, publish-linux-x64 and publish-linux-musl-x64, each with its dotnet_runtime build argument; each axis is a build argument with its values, 'exclude' leaves combinations out. Another stage's needs or inputs may name 'publish' (every combination; inputs land in {path}/{expanded name}/) or one combination.",
                        ScenarioExamples.Matrix()),
                    ["wasm"] = Example("WASM: export the .wasm, then package it as a wasi/wasm image",
                        "The first stage exports HelloWasm.wasm; the second takes it as an input at docker_out/ and builds --platform wasi/wasm into an image pushed to the local registry (localhost:5000 in docker compose).",
                        ScenarioExamples.Wasm()),
                    ["verify"] = Example("Verification: build an image, then run it and check its exit code",
                        "The first stage keeps a busybox-based image in the engine as localhost:5000/verify-demo:latest; the second runs a container of it (no network, removed afterwards): its output is in the log, its exit code in the stage's run.exitCode, and any code but expectExitCode fails the stage.",
                        ScenarioExamples.Verify()),
                    ["reproduce"] = Example("Reproducibility: the linux-x64 publish, built twice and compared",
                        "Once the build has succeeded, its artifact stages are built again without cache (on another builder when the pool has one) as a new build, and every artifact is compared by SHA-256: the build's 'reproducible' and 'reproduction' (identical and differing files with both digests) say how it went. POST /api/v1/builds/{id}/reproduce does the same for a build that did not ask.",
                        ScenarioExamples.Reproduce()),
                    ["seed"] = Example("The seed article end to end: executables per runtime, a WASM module and image, verified by running it",
                        "One pipeline: a matrix stage publishes the .NET app for win-x64 and linux-x64 (download the executables, or publish them to Artifactory with POST .../publications), a stage fetches the .wasm back, another packages it as a wasi/wasm image kept in the engine, and 'verify' runs it: under the engine's wasm runtime where it has one, else under the WASI runtime of Engine:Wasi:Image.",
                        ScenarioExamples.Seed()),
                    ["attest"] = Example("Provenance and an OCI tarball: the image as image.tar, attested",
                        "The first stage stores its image for linux/amd64 and linux/arm64 as one OCI tarball artifact, image.tar (output type oci; docker gives a tarball for docker load, of one platform and without attestations), named by its tags, with SLSA provenance (mode max) as attestation manifests in its index. The second exports files with BuildKit's provenance.json beside them. attest.sbom adds an SPDX SBOM made by Engine:Attestations:SbomGenerator, an image the engine must have or pull.",
                        ScenarioExamples.Attest()),
                    ["git"] = Example("A git repository (put your repository's URL in first)", "Builds a target of a repository at a branch, tag or commit. The URL is a placeholder: replace it with a repository this service can reach.",
                        ScenarioExamples.Git()),
                    ["notify"] = Example("Notify: the build's events as signed webhooks",
                        "notify lists receivers and the events each wants (build.queued, build.started, build.succeeded, build.failed, build.cancelled; all when absent). Each is sent as Standard Webhooks JSON signed with Notifications:SigningSecret, retried with back-off; GET /api/v1/builds/{id}/notifications is the delivery log. The URL is a placeholder.",
                        ScenarioExamples.Notify()),
                };
            }
            {
                form.Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "spec", "context" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["spec"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The build spec as JSON, without a source." },
                        ["context"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "The build context: a tar or tar.gz archive." },
                    },
                };
                form.Encoding = new Dictionary<string, OpenApiEncoding> { ["spec"] = new() { ContentType = "application/json" } };
            }
            operation.Parameters?.OfType<OpenApiParameter>().Where(p => p.Name == "Idempotency-Key").ToList()
                .ForEach(p => p.Description = "Any unique string (e.g. a UUID); a retry with the same key and request returns the same build.");
        }

        private static OpenApiExample Example(string summary, string description, object value) => new()
        {
            Summary = summary,
            Description = description,
            Value = JsonNode.Parse(JsonSerializer.Serialize(value, ApiJson.Options)),
        };
    }
}
