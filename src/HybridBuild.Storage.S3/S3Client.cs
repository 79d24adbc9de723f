using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;

namespace HybridBuild.Storage.S3;

/// <summary>
/// The SDK's client, sending a copy's source as S3 documents it (<c>bucket/key</c>, the key's slashes as they are):
/// the SDK escapes them (<c>bucket%2Fkey</c>), which AWS takes but some S3-compatible stores (s3rver) read as a bucket
/// named <c>bucket%2Fkey</c>. The header is rewritten before the request is signed.
/// </summary>
internal sealed class S3Client : AmazonS3Client
{
    public S3Client(AWSCredentials credentials, AmazonS3Config config) : base(credentials, config) { }

    public S3Client(AmazonS3Config config) : base(config) { }

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        pipeline.AddHandlerBefore<Signer>(new CopySourceSlashes());
    }

    private sealed class CopySourceSlashes : PipelineHandler
    {
        private const string Header = "x-amz-copy-source";

        public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            var headers = executionContext.RequestContext.Request.Headers;
            // a key's own '%' is escaped as %25, so every %2F here is a slash
            if (headers.TryGetValue(Header, out var source)) headers[Header] = source.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
            return base.InvokeAsync<T>(executionContext);
        }
    }
}
