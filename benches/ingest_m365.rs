//! Microsoft 365 audit adapter throughput on ~100 MB of generated Management Activity API records
//! (sign-ins, inbox rules, mail access, file access and unsupported operations in the real
//! shapes), next to a plain `serde_json::Value` parse of the same bytes. `PALISADE_BENCH_MB` sets
//! the size.

#![allow(missing_docs)] // criterion_group! generates undocumented functions.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use palisade_ingest::m365::M365;

fn record(i: u64) -> String {
    let user = i % 5000;
    let (h, m, s) = (i / 3600 % 24, i / 60 % 60, i % 60);
    let day = 1 + i / 86400 % 28;
    let time = format!("2024-05-{day:02}T{h:02}:{m:02}:{s:02}");
    let ip = format!("81.2.{}.{}", i / 256 % 256, i % 256);
    let head = format!(
        r#""CreationTime":"{time}","Id":"{i:08}-c13e-4382-ad7e-4864faa11e85","OrganizationId":"72f988bf-0000-4000-8000-000000000001","UserKey":"1003{user:012}","UserType":0,"Version":1,"UserId":"user{user}@contoso.com""#
    );
    match i % 8 {
        0 | 1 => format!(
            r#"{{{head},"Operation":"UserLoggedIn","RecordType":15,"ResultStatus":"Success","Workload":"AzureActiveDirectory","ClientIP":"{ip}","ObjectId":"00000003-0000-0ff1-ce00-000000000000","AzureActiveDirectoryEventType":1,"ExtendedProperties":[{{"Name":"ResultStatusDetail","Value":"Redirect"}},{{"Name":"UserAgent","Value":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"}},{{"Name":"RequestType","Value":"OAuth2:Authorize"}},{{"Name":"KeepMeSignedIn","Value":"True"}}],"ModifiedProperties":[],"Actor":[{{"ID":"cb42ef6c-989f-49d0-86cd-7706b8d14528","Type":0}},{{"ID":"user{user}@contoso.com","Type":5}}],"ActorContextId":"72f988bf-0000-4000-8000-000000000001","ActorIpAddress":"{ip}","InterSystemsId":"d23dd5d2-ccc8-4928-b7a0-f446a2ca4a90","IntraSystemId":"a196489a-9a7c-4824-b35a-5bfdec600c00","SupportTicketId":"","Target":[{{"ID":"00000003-0000-0ff1-ce00-000000000000","Type":0}}],"TargetContextId":"72f988bf-0000-4000-8000-000000000001","ApplicationId":"89bee1f7-5e6e-4d8a-9f3d-ecd601259da7","DeviceProperties":[{{"Name":"OS","Value":"Windows 10"}},{{"Name":"BrowserType","Value":"Edge"}},{{"Name":"IsCompliantAndManaged","Value":"False"}},{{"Name":"SessionId","Value":"b3a9b2b4-57c9-406b-9a2d-{user:012}"}}],"ErrorNumber":"0"}}"#
        ),
        2 => format!(
            r#"{{{head},"Operation":"UserLoginFailed","RecordType":15,"ResultStatus":"Success","Workload":"AzureActiveDirectory","ClientIP":"{ip}","ObjectId":"00000003-0000-0ff1-ce00-000000000000","AzureActiveDirectoryEventType":1,"ExtendedProperties":[{{"Name":"ResultStatusDetail","Value":"Success"}},{{"Name":"UserAgent","Value":"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"}},{{"Name":"UserAuthenticationMethod","Value":"1"}},{{"Name":"RequestType","Value":"SAS:EndAuth"}}],"ModifiedProperties":[],"Actor":[{{"ID":"user{user}@contoso.com","Type":5}}],"ActorContextId":"72f988bf-0000-4000-8000-000000000001","ActorIpAddress":"{ip}","InterSystemsId":"d48e6ea0-40c1-5000-5eba-0ee33d13b1ca","IntraSystemId":"4af0b443-42dd-4dc6-9bd1-751a55441000","SupportTicketId":"","Target":[{{"ID":"00000003-0000-0ff1-ce00-000000000000","Type":0}}],"TargetContextId":"72f988bf-0000-4000-8000-000000000001","ApplicationId":"00000003-0000-0ff1-ce00-000000000000","DeviceProperties":[{{"Name":"OS","Value":"Windows 10"}},{{"Name":"BrowserType","Value":"Firefox"}},{{"Name":"SessionId","Value":"b3a9b2b4-57c9-406b-9a2d-106b7f612248"}}],"ErrorNumber":"500121","LogonError":"AuthenticationFailedSasError"}}"#
        ),
        3 => format!(
            r#"{{{head},"Operation":"MailItemsAccessed","RecordType":50,"ResultStatus":"Succeeded","Workload":"Exchange","AppId":"00000002-0000-0ff1-ce00-000000000000","ClientIPAddress":"{ip}","ClientInfoString":"Client=OWA;Action=ViaProxy","ExternalAccess":false,"InternalLogonType":0,"LogonType":0,"LogonUserSid":"S-1-5-21-1","MailboxGuid":"03d9e949-cbc1-4dd2-b7ba-8a1d1e0207b5","MailboxOwnerSid":"S-1-5-21-1","MailboxOwnerUPN":"user{user}@contoso.com","OperationProperties":[{{"Name":"MailAccessType","Value":"Bind"}},{{"Name":"IsThrottled","Value":"False"}}],"OrganizationName":"contoso.onmicrosoft.com","OriginatingServer":"AM0PR07MB5763 (15.20.4200.000)\r\n","SessionId":"dcdad6b2-f279-48c6-9ed8-3df0ffde4ece","Folders":[{{"FolderItems":[{{"InternetMessageId":"<AM0PR07MB576312B1644{i}@AM0PR07MB5763.eurprd07.prod.outlook.com>","SizeInBytes":3476}},{{"InternetMessageId":"<AM0PR07MB5763A95F7E4{i}@AM0PR07MB5763.eurprd07.prod.outlook.com>","SizeInBytes":4871}}],"Id":"LgAAAABxSjbeIoBUT6MlFIM9cqcFAQCxmw0Q8U/kQIyFE2Uk+mwoAAAAAAEPAAAB","Path":"\\Inbox"}}],"OperationCount":2}}"#
        ),
        4 => format!(
            r#"{{{head},"Operation":"New-InboxRule","RecordType":1,"ResultStatus":"True","Workload":"Exchange","ClientIP":"{ip}:63070","ObjectId":"EURPR07A010.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com/bc1b1df3-f861-4aec-bf7c-40ce5b5566c1\\Rule {i}","AppId":"00000002-0000-0ff1-ce00-000000000000","ClientAppId":"","ExternalAccess":false,"OrganizationName":"contoso.onmicrosoft.com","OriginatingServer":"AM0PR07MB5763 (15.20.6411.029)","Parameters":[{{"Name":"Force","Value":"False"}},{{"Name":"AlwaysDeleteOutlookRulesBlob","Value":"False"}},{{"Name":"From","Value":"billing@example.org"}},{{"Name":"Name","Value":"Rule {i}"}},{{"Name":"MarkAsRead","Value":"True"}},{{"Name":"StopProcessingRules","Value":"True"}},{{"Name":"SubjectOrBodyContainsWords","Value":"invoice;payment"}},{{"Name":"MoveToFolder","Value":"RSS Feeds"}}],"SessionId":"984c0958-0631-4b90-b116-15094fc36847"}}"#
        ),
        5 => format!(
            r#"{{{head},"Operation":"FileAccessed","RecordType":6,"Workload":"SharePoint","ClientIP":"{ip}","ObjectId":"https://contoso.sharepoint.com/sites/finance/Shared Documents/report-{i}.xlsx","ApplicationId":"4345a7b9-9a63-4910-a426-35363201d503","CorrelationId":"41af7e9f-30a8-9000-8f78-756aca9a7474","EventSource":"SharePoint","ItemType":"File","ListId":"2db6ee74-6bd7-4d9b-a63f-26ae6eef9fb3","ListItemUniqueId":"0e3f3538-8a03-4728-b431-225bc10687b6","Site":"2d3c44c1-d225-499d-a47f-bda2751a00b9","UserAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36","WebId":"c4b81f7e-4f91-4b3a-97a7-660709edef15","SourceFileExtension":"xlsx","SiteUrl":"https://contoso.sharepoint.com/sites/finance/","SourceFileName":"report-{i}.xlsx","SourceRelativeUrl":"Shared Documents"}}"#
        ),
        _ => format!(
            r#"{{{head},"Operation":"SoftDelete","RecordType":3,"ResultStatus":"Succeeded","Workload":"Exchange","ClientIP":"{ip}","ClientIPAddress":"{ip}","ClientInfoString":"Client=OWA;Action=ViaProxy","ExternalAccess":false,"InternalLogonType":0,"LogonType":0,"LogonUserSid":"S-1-5-21-1","MailboxGuid":"03d9e949-cbc1-4dd2-b7ba-8a1d1e0207b5","MailboxOwnerSid":"S-1-5-21-1","MailboxOwnerUPN":"user{user}@contoso.com","OrganizationName":"contoso.onmicrosoft.com","OriginatingServer":"AM0PR07MB5763 (15.20.4200.000)\r\n","SessionId":"dcdad6b2-f279-48c6-9ed8-3df0ffde4ece","AffectedItems":[{{"Id":"RgAAAAAxSjbeIoBUT6MlFIM9cqcFBwCxmw0Q8U{i}","InternetMessageId":"<{i}@mail.example.com>","ParentFolder":{{"Id":"LgAAAABxSjbeIoBUT6MlFIM9cqcFAQCxmw0Q8U","Path":"\\Inbox"}},"Subject":"Quarterly numbers {i}"}}],"CrossMailboxOperation":false,"Folder":{{"Id":"LgAAAABxSjbeIoBUT6MlFIM9cqcFAQCxmw0Q8U","Path":"\\Inbox"}}}}"#
        ),
    }
}

fn bench(c: &mut Criterion) {
    let data = common::json_lines(record);
    common::compare_with_value(c, "m365", &M365, &data);
}

criterion_group!(benches, bench);
criterion_main!(benches);
