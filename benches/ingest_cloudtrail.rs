//! CloudTrail adapter throughput (MB/s, events/s) next to a plain `serde_json::Value` parse of
//! the same generated records, in the same run: mostly `ConsoleLogin`, some API calls.

// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use palisade_ingest::cloudtrail::CloudTrail;

mod common;

/// One realistic CloudTrail record, varied by `i`.
fn record(i: u64) -> String {
    let user = i % 5_000;
    let (a, b) = ((i / 7) % 250, (i / 3) % 250);
    let sec = i % 86_400;
    let time = format!(
        "2023-11-10T{:02}:{:02}:{:02}Z",
        sec / 3600,
        (sec / 60) % 60,
        sec % 60
    );
    if i % 4 == 3 {
        return format!(
            r#"{{"eventVersion":"1.08","userIdentity":{{"type":"AssumedRole","principalId":"AROAIDPPEZS35WEXAMPLE:user{user}@example.com","arn":"arn:aws:sts::111122223333:assumed-role/Admin/user{user}@example.com","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROAIDPPEZS35WEXAMPLE","arn":"arn:aws:iam::111122223333:role/Admin","accountId":"111122223333","userName":"Admin"}},"attributes":{{"creationDate":"2023-11-10T10:00:00Z","mfaAuthenticated":"false"}}}}}},"eventTime":"{time}","eventSource":"s3.amazonaws.com","eventName":"GetBucketPolicy","awsRegion":"us-east-1","sourceIPAddress":"192.0.{a}.{b}","userAgent":"aws-cli/2.13.0 Python/3.11.4 Darwin/23.1.0 exe/x86_64 prompt/off command/s3api.get-bucket-policy","requestParameters":{{"bucketName":"example-bucket-{b}","Host":"example-bucket.s3.us-east-1.amazonaws.com","policy":""}},"responseElements":null,"requestID":"REQ{i:016}","eventID":"fed06f42-cb12-4764-{:04x}-{i:012x}","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"example-bucket.s3.us-east-1.amazonaws.com"}}}}"#,
            i % 0xffff
        );
    }
    let (resp, err, mfa) = if i % 4 == 1 {
        (
            "Failure",
            r#""errorMessage":"Failed authentication","#,
            "No",
        )
    } else {
        ("Success", "", "Yes")
    };
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::111122223333:user/user{user}","accountId":"111122223333","userName":"user{user}"}},"eventTime":"{time}","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"192.0.{a}.{b}","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36",{err}"requestParameters":null,"responseElements":{{"ConsoleLogin":"{resp}"}},"additionalEventData":{{"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MFAIdentifier":"arn:aws:iam::111122223333:u2f/user/user{user}/default-AAAAAAAABBBBBBBBCCCCCCCCDD","MobileVersion":"No","MFAUsed":"{mfa}"}},"eventID":"fed06f42-cb12-4764-{:04x}-{i:012x}","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":"signin.aws.amazon.com"}}}}"#,
        i % 0xffff
    )
}

fn bench(c: &mut Criterion) {
    let data = common::json_lines(record);
    common::compare_with_value(c, "cloudtrail", &CloudTrail, &data);
}

criterion_group!(benches, bench);
criterion_main!(benches);
