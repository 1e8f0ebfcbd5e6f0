/**
 * Protocol test vectors, printed in docs/PROTOCOL.md. Keys: ed25519 from the RFC 8032 §7.1
 * TEST 1 seed; p256 from the RFC 6979 §A.2.5 private key, so both public keys can be checked
 * against those RFCs. Device ids, signing bytes, the Ed25519 signatures and the registration
 * digest were cross-checked with independent implementations (@noble/curves, viem).
 *
 * P-256 signatures are RFC 6979 deterministic ECDSA-SHA256 signatures normalised to low s. A
 * device may sign with random k instead: its signature will differ but must verify. The
 * `…HighS…` values are the same signatures with s := n - s; verifiers must reject them.
 */
export const VECTORS = {
  ed25519: {
    keyType: 'ed25519',
    keyTypeCode: 1,
    seed: '0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: '0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    deviceId: '0x51b746057452b9386e97bdf68ae4219609d5c3630e6ab4c70d03bcec7949f23e',
    tokenId: '36961157017393286780516649452172751217474625743416507893733430440437008167486',
    envelope: {
      v: 1,
      device: '0x51b746057452b9386e97bdf68ae4219609d5c3630e6ab4c70d03bcec7949f23e',
      seq: 42,
      time: 1767225600000,
      kind: 'city.air_quality',
      body: {
        sensor: 'SDS011',
        pm2_5: 12.5,
        pm10: 20,
        temp_c: -3.25,
        note: 'Zürich ☀ "north" side\n',
        flags: ['ok', 'warm'],
        cell: '8a1f05a2d06ffff',
      },
    },
    signingText:
      '{"body":{"cell":"8a1f05a2d06ffff","flags":["ok","warm"],"note":"Zürich ☀ \\"north\\" side\\n","pm10":20,"pm2_5":12.5,"sensor":"SDS011","temp_c":-3.25},"device":"0x51b746057452b9386e97bdf68ae4219609d5c3630e6ab4c70d03bcec7949f23e","kind":"city.air_quality","seq":42,"time":1767225600000,"v":1}',
    signingBytes:
      '0x7b22626f6479223a7b2263656c6c223a22386131663035613264303666666666222c22666c616773223a5b226f6b222c227761726d225d2c226e6f7465223a225ac3bc7269636820e29880205c226e6f7274685c2220736964655c6e222c22706d3130223a32302c22706d325f35223a31322e352c2273656e736f72223a22534453303131222c2274656d705f63223a2d332e32357d2c22646576696365223a22307835316237343630353734353262393338366539376264663638616534323139363039643563333633306536616234633730643033626365633739343966323365222c226b696e64223a22636974792e6169725f7175616c697479222c22736571223a34322c2274696d65223a313736373232353630303030302c2276223a317d',
    signature:
      '0xc4dababc194515e17f7d86082fda64c77f9a13316fd487009c811d3f29651dc33123c27a6d688da90f07a580c1b2e70dfb59f50053a28aafae81da44dfa8e307',
    signedEnvelope:
      '{"body":{"cell":"8a1f05a2d06ffff","flags":["ok","warm"],"note":"Zürich ☀ \\"north\\" side\\n","pm10":20,"pm2_5":12.5,"sensor":"SDS011","temp_c":-3.25},"device":"0x51b746057452b9386e97bdf68ae4219609d5c3630e6ab4c70d03bcec7949f23e","kind":"city.air_quality","seq":42,"sig":"0xc4dababc194515e17f7d86082fda64c77f9a13316fd487009c811d3f29651dc33123c27a6d688da90f07a580c1b2e70dfb59f50053a28aafae81da44dfa8e307","time":1767225600000,"v":1}',
    canonicalSize: 430,
  },
  p256: {
    keyType: 'p256',
    keyTypeCode: 2,
    privateKey: '0xc9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721',
    publicKey:
      '0x60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299',
    deviceId: '0xafd5c1035dc71f33bf0859edd6a2b472111a0e3f29625be06e6285f8ab30700d',
    tokenId: '79532419054670141524594079856857437682770670273001337448739738607857062408205',
    envelope: {
      v: 1,
      device: '0xafd5c1035dc71f33bf0859edd6a2b472111a0e3f29625be06e6285f8ab30700d',
      seq: 1,
      time: 1767225600123,
      kind: 'energy.interval',
      body: {
        start: 1767224700000,
        end: 1767225600000,
        wh_import: 1520,
        wh_export: 0,
      },
    },
    signingText:
      '{"body":{"end":1767225600000,"start":1767224700000,"wh_export":0,"wh_import":1520},"device":"0xafd5c1035dc71f33bf0859edd6a2b472111a0e3f29625be06e6285f8ab30700d","kind":"energy.interval","seq":1,"time":1767225600123,"v":1}',
    signingBytes:
      '0x7b22626f6479223a7b22656e64223a313736373232353630303030302c227374617274223a313736373232343730303030302c2277685f6578706f7274223a302c2277685f696d706f7274223a313532307d2c22646576696365223a22307861666435633130333564633731663333626630383539656464366132623437323131316130653366323936323562653036653632383566386162333037303064222c226b696e64223a22656e657267792e696e74657276616c222c22736571223a312c2274696d65223a313736373232353630303132332c2276223a317d',
    signature:
      '0xfd8acbbe1ebb7c8bc4a11dcb26bccbfaaf35e1f1b630087410b8656a7416b3be5b8198c500101ea14fea3395559286aa19dea1acf3a6281c9c33645b0b78d5c5',
    highSSignature:
      '0xfd8acbbe1ebb7c8bc4a11dcb26bccbfaaf35e1f1b630087410b8656a7416b3bea47e6739ffefe15fb015cc6aaa6d7955a3085900b371766857866667f0ea4f8c',
    signedEnvelope:
      '{"body":{"end":1767225600000,"start":1767224700000,"wh_export":0,"wh_import":1520},"device":"0xafd5c1035dc71f33bf0859edd6a2b472111a0e3f29625be06e6285f8ab30700d","kind":"energy.interval","seq":1,"sig":"0xfd8acbbe1ebb7c8bc4a11dcb26bccbfaaf35e1f1b630087410b8656a7416b3be5b8198c500101ea14fea3395559286aa19dea1acf3a6281c9c33645b0b78d5c5","time":1767225600123,"v":1}',
  },
  registration: {
    chainId: 31337,
    registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    operator: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    nonce: 0,
    typehash: '0xf9c0dd5ca816f8e0a086c27e77234a781323dd7a86e8e5790e68abb0f3e8a448',
    encoded:
      '0xf9c0dd5ca816f8e0a086c27e77234a781323dd7a86e8e5790e68abb0f3e8a4480000000000000000000000000000000000000000000000000000000000007a690000000000000000000000005fbdb2315678afecb367f032d93f642f64180aa3000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb922660000000000000000000000000000000000000000000000000000000000000000',
    digest: '0xb0d3039f20bca3dbf466672adf7cfef3a2777c69e28f0e4c843ad3a83ef18d8f',
    ed25519Signature:
      '0xb5d63e381fbd2d5ece3938139a141a48b6c17e09d6c712837aa6ca3934a985f804527f16a69b94a629d5e8db8b297f642b4da3a0db777e2102a5686bd03a0005',
    p256Signature:
      '0x89529200e19a016476aa930202b55e395b3b07249ca14bedc618fdede619756e56d8aa69a10d503dfa3bf10754ff9fa1e2703dc8ad7af5816f66624c331ce716',
    p256HighSSignature:
      '0x89529200e19a016476aa930202b55e395b3b07249ca14bedc618fdede619756ea92755955ef2afc305c40ef8ab00605dda76bce4f99ca90384536876c9463e3b',
  },
  canonicalization: [
    {
      name: 'RFC 8785 §3.2.2 sample',
      input:
        '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n  "literals": [null, true, false]\n}',
      canonical:
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    },
    {
      name: 'RFC 8785 §3.2.3 sorting sample',
      input:
        '{\n  "\\u20ac": "Euro Sign",\n  "\\r": "Carriage Return",\n  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n  "1": "One",\n  "\\ud83d\\ude00": "Emoji: Grinning Face",\n  "\\u0080": "Control",\n  "\\u00f6": "Latin Small Letter O With Diaeresis"\n}',
      canonical:
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","דּ":"Hebrew Letter Dalet With Dagesh"}',
    },
    {
      name: 'Names sort as strings, not numbers; upper case before lower case',
      input: '{"b": 1, "10": 2, "9": 3, "B": 4, "a": {"z": [], "y": {}}}',
      canonical: '{"10":2,"9":3,"B":4,"a":{"y":{},"z":[]},"b":1}',
    },
    {
      name: 'Numbers: ECMAScript shortest round-trip form',
      input: '[-0, 0.0, 1E21, 1e20, 1e-7, 0.000001, 1.5e2, 12.50, -3.25e0, 9007199254740993]',
      canonical: '[0,0,1e+21,100000000000000000000,1e-7,0.000001,150,12.5,-3.25,9007199254740992]',
    },
    {
      name: 'Strings: only required escapes, lowercase \\u00xx',
      input:
        '["\\u0000\\u0007\\b\\t\\n\\u000b\\f\\r\\u001f", "\\u007f\\u00e9\\u2028/\\\\\\"", "\\uD83D\\uDE00"]',
      canonical: '["\\u0000\\u0007\\b\\t\\n\\u000b\\f\\r\\u001f","\u007fé\u2028/\\\\\\"","😀"]',
    },
  ],
} as const;
